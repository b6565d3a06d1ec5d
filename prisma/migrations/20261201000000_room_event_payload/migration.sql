-- AlterTable
ALTER TABLE "room_events" ADD COLUMN     "payload" JSONB;

-- CreateIndex
CREATE INDEX "room_events_room_id_type_sequence_idx" ON "room_events"("room_id", "type", "sequence");
