-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "rooms" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),
    "max_participants" INTEGER NOT NULL,
    "metadata" JSONB,

    CONSTRAINT "rooms_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "participant_sessions" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "left_at" TIMESTAMPTZ(3),
    "leave_reason" TEXT,

    CONSTRAINT "participant_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rooms_closed_at_created_at_id_idx" ON "rooms"("closed_at", "created_at", "id");

-- CreateIndex
CREATE INDEX "participant_sessions_room_id_joined_at_idx" ON "participant_sessions"("room_id", "joined_at");

-- CreateIndex
CREATE INDEX "participant_sessions_left_at_idx" ON "participant_sessions"("left_at");

-- AddForeignKey
ALTER TABLE "participant_sessions" ADD CONSTRAINT "participant_sessions_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

