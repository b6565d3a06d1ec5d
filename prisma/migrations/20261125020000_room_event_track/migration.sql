-- AlterTable
ALTER TABLE "room_events" ADD COLUMN     "track_id" TEXT;

