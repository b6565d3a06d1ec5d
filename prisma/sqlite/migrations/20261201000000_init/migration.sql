-- CreateTable
CREATE TABLE "rooms" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" DATETIME,
    "max_participants" INTEGER NOT NULL,
    "video_codec" TEXT NOT NULL DEFAULT 'VP8',
    "simulcast" BOOLEAN NOT NULL DEFAULT true,
    "metadata" JSONB
);

-- CreateTable
CREATE TABLE "participant_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "room_id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "identity" TEXT,
    "joined_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "left_at" DATETIME,
    "leave_reason" TEXT,
    CONSTRAINT "participant_sessions_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "room_events" (
    "room_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "participant_id" TEXT,
    "participant_name" TEXT,
    "stream_id" TEXT,
    "reason" TEXT,
    "track_id" TEXT,

    PRIMARY KEY ("room_id", "sequence"),
    CONSTRAINT "room_events_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "room_bans" (
    "room_id" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "banned_at" DATETIME NOT NULL,

    PRIMARY KEY ("room_id", "identity"),
    CONSTRAINT "room_bans_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "quality_samples" (
    "participant_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "bitrate_in" REAL NOT NULL,
    "bitrate_out" REAL NOT NULL,
    "loss_in" REAL NOT NULL,
    "rtt" REAL NOT NULL,
    "jitter" REAL NOT NULL,

    PRIMARY KEY ("participant_id", "at"),
    CONSTRAINT "quality_samples_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "rooms_closed_at_created_at_id_idx" ON "rooms"("closed_at", "created_at", "id");

-- CreateIndex
CREATE INDEX "participant_sessions_room_id_joined_at_idx" ON "participant_sessions"("room_id", "joined_at");

-- CreateIndex
CREATE INDEX "participant_sessions_left_at_idx" ON "participant_sessions"("left_at");

-- CreateIndex
CREATE INDEX "quality_samples_at_idx" ON "quality_samples"("at");

