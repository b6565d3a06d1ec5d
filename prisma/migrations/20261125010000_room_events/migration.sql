-- CreateTable
CREATE TABLE "room_events" (
    "room_id" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "participant_id" TEXT,
    "participant_name" TEXT,
    "stream_id" TEXT,
    "reason" TEXT,

    CONSTRAINT "room_events_pkey" PRIMARY KEY ("room_id","sequence")
);

-- AddForeignKey
ALTER TABLE "room_events" ADD CONSTRAINT "room_events_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

