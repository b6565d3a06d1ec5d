-- CreateTable
CREATE TABLE "recordings" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "room_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "started_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    CONSTRAINT "recordings_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "recording_files" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "recording_id" TEXT NOT NULL,
    "participant_id" TEXT NOT NULL,
    "participant_name" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "started_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "recording_files_recording_id_fkey" FOREIGN KEY ("recording_id") REFERENCES "recordings" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "recordings_room_id_started_at_idx" ON "recordings"("room_id", "started_at");

-- CreateIndex
CREATE INDEX "recordings_state_idx" ON "recordings"("state");

-- CreateIndex
CREATE INDEX "recording_files_recording_id_started_at_idx" ON "recording_files"("recording_id", "started_at");

