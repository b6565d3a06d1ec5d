-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("url")
);

-- CreateTable
CREATE TABLE "webhook_cursors" (
    "url" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "delivered_through" INTEGER NOT NULL,

    CONSTRAINT "webhook_cursors_pkey" PRIMARY KEY ("url","room_id")
);

-- CreateTable
CREATE TABLE "webhook_failures" (
    "url" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_failures_pkey" PRIMARY KEY ("url","room_id","sequence")
);

-- CreateIndex
CREATE INDEX "webhook_failures_failed_at_idx" ON "webhook_failures"("failed_at");
