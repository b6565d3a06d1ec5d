-- AlterTable
ALTER TABLE "rooms" ADD COLUMN     "video_codec" TEXT NOT NULL DEFAULT 'VP8';

