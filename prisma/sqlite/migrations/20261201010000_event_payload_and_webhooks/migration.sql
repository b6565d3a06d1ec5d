-- AlterTable
ALTER TABLE "room_events" ADD COLUMN "payload" JSONB;

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "url" TEXT NOT NULL PRIMARY KEY,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "webhook_cursors" (
    "url" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "delivered_through" INTEGER NOT NULL,

    PRIMARY KEY ("url", "room_id")
);

-- CreateTable
CREATE TABLE "webhook_failures" (
    "url" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT NOT NULL,
    "failed_at" DATETIME NOT NULL,

    PRIMARY KEY ("url", "room_id", "sequence")
);

-- CreateIndex
CREATE INDEX "webhook_failures_failed_at_idx" ON "webhook_failures"("failed_at");

-- CreateIndex
CREATE INDEX "room_events_room_id_type_sequence_idx" ON "room_events"("room_id", "type", "sequence");

