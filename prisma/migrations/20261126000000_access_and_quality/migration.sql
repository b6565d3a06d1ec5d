-- AlterTable
ALTER TABLE "rooms" ADD COLUMN     "simulcast" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "participant_sessions" ADD COLUMN     "identity" TEXT;

-- CreateTable
CREATE TABLE "room_bans" (
    "room_id" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "banned_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "room_bans_pkey" PRIMARY KEY ("room_id","identity")
);

-- CreateTable
CREATE TABLE "quality_samples" (
    "participant_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "bitrate_in" DOUBLE PRECISION NOT NULL,
    "bitrate_out" DOUBLE PRECISION NOT NULL,
    "loss_in" DOUBLE PRECISION NOT NULL,
    "rtt" DOUBLE PRECISION NOT NULL,
    "jitter" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "quality_samples_pkey" PRIMARY KEY ("participant_id","at")
);

-- CreateIndex
CREATE INDEX "quality_samples_at_idx" ON "quality_samples"("at");

-- AddForeignKey
ALTER TABLE "room_bans" ADD CONSTRAINT "room_bans_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quality_samples" ADD CONSTRAINT "quality_samples_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

