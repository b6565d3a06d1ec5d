import type { Prisma, PrismaClient, RoomEventRow } from '@prisma/client';
import { type RoomEvent, RoomEventType } from '../conference/events';
import type { RoomEventRepository } from '../conference/ports';
import type { SqlExecutor } from './SqlExecutor';
import { type Column, insertIgnoringDuplicates } from './rawInsert';

const toEvent = (row: RoomEventRow): RoomEvent => ({
  roomId: row.roomId,
  sequence: row.sequence,
  type: row.type as RoomEventType,
  at: row.at,
  ...(row.participantId !== null && { participantId: row.participantId }),
  ...(row.participantName !== null && { participantName: row.participantName }),
  ...(row.streamId !== null && { streamId: row.streamId }),
  ...(row.reason !== null && { reason: row.reason }),
  ...(row.trackId !== null && { trackId: row.trackId }),
  ...payloadOf(row.payload),
});

type Payload = Pick<RoomEvent, 'message' | 'attributes' | 'recordingId'>;

/** What an event carries beyond the columns (a chat message, attributes, a recording), stored as JSON. */
function payloadOf(payload: Prisma.JsonValue | null): Payload {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return {};
  const { message, attributes, recordingId } = payload as Payload;
  return {
    ...(message && { message }),
    ...(attributes && { attributes }),
    ...(typeof recordingId === 'string' && { recordingId }),
  };
}

function payloadFor(event: RoomEvent): Pick<RoomEvent, 'message' | 'attributes' | 'recordingId'> | null {
  if (!event.message && !event.attributes && !event.recordingId) return null;
  return {
    ...(event.message && { message: event.message }),
    ...(event.attributes && { attributes: event.attributes }),
    ...(event.recordingId && { recordingId: event.recordingId }),
  };
}

const EVENT_COLUMNS: Column[] = [
  { name: 'room_id' },
  { name: 'sequence' },
  { name: 'type' },
  { name: 'at' },
  { name: 'participant_id' },
  { name: 'participant_name' },
  { name: 'stream_id' },
  { name: 'reason' },
  { name: 'track_id' },
  { name: 'payload', json: true },
];

export class PrismaRoomEventRepository implements RoomEventRepository {
  constructor(
    private readonly prisma: PrismaClient,
    /** Background writes (events are written by a RetryingWriter), through the driver: see SqlExecutor. */
    private readonly writer: SqlExecutor,
  ) {}

  async append(events: readonly RoomEvent[]): Promise<void> {
    await insertIgnoringDuplicates(
      this.writer,
      'room_events',
      EVENT_COLUMNS,
      events.map((event) => [
        event.roomId,
        event.sequence,
        event.type,
        event.at,
        event.participantId,
        event.participantName,
        event.streamId,
        event.reason,
        event.trackId,
        payloadFor(event),
      ]),
    );
  }

  async listAfter(
    roomId: string,
    after: number,
    limit: number,
    types?: readonly RoomEventType[],
  ): Promise<RoomEvent[]> {
    const rows = await this.prisma.roomEventRow.findMany({
      where: { roomId, sequence: { gt: after }, ...(types && { type: { in: [...types] } }) },
      orderBy: { sequence: 'asc' },
      take: limit,
    });
    return rows.map(toEvent);
  }

  async lastSequence(roomId: string): Promise<number> {
    const { _max } = await this.prisma.roomEventRow.aggregate({
      where: { roomId },
      _max: { sequence: true },
    });
    return _max.sequence ?? 0;
  }
}
