-- CreateTable
CREATE TABLE "recordings" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "recordings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recording_files" (
    "id" TEXT NOT NULL,
    "recording_id" TEXT NOT NULL,
    "participant_id" TEXT NOT NULL,
    "participant_name" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "recording_files_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "recordings_room_id_started_at_idx" ON "recordings"("room_id", "started_at");

-- CreateIndex
CREATE INDEX "recordings_state_idx" ON "recordings"("state");

-- CreateIndex
CREATE INDEX "recording_files_recording_id_started_at_idx" ON "recording_files"("recording_id", "started_at");

-- AddForeignKey
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "recording_files" ADD CONSTRAINT "recording_files_recording_id_fkey" FOREIGN KEY ("recording_id") REFERENCES "recordings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

