import { Prisma, type PrismaClient, type RoomEventRow } from '@prisma/client';
import { type RoomEvent, RoomEventType } from '../conference/events';
import type { RoomEventRepository } from '../conference/ports';
import type { Provider } from './Database';
import { appendIgnoringDuplicates } from './prismaErrors';

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

function payloadFor(event: RoomEvent): Prisma.InputJsonObject | typeof Prisma.DbNull {
  if (!event.message && !event.attributes && !event.recordingId) return Prisma.DbNull;
  return {
    ...(event.message && { message: event.message as unknown as Prisma.InputJsonObject }),
    ...(event.attributes && { attributes: event.attributes as Prisma.InputJsonObject }),
    ...(event.recordingId && { recordingId: event.recordingId }),
  };
}

export class PrismaRoomEventRepository implements RoomEventRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly provider: Provider = 'postgresql',
    /** Background writes (events are written by a RetryingWriter). */
    private readonly writer: PrismaClient = prisma,
  ) {}

  async append(events: readonly RoomEvent[]): Promise<void> {
    // A batch retried after a lost reply stores nothing twice.
    const rows = events.map((event) => ({
      roomId: event.roomId,
      sequence: event.sequence,
      type: event.type,
      at: event.at,
      participantId: event.participantId ?? null,
      participantName: event.participantName ?? null,
      streamId: event.streamId ?? null,
      reason: event.reason ?? null,
      trackId: event.trackId ?? null,
      payload: payloadFor(event),
    }));
    await appendIgnoringDuplicates(
      this.provider,
      rows,
      (data, skipDuplicates) =>
        this.writer.roomEventRow.createMany({ data, ...(skipDuplicates && { skipDuplicates }) }),
      (data) =>
        this.writer.$transaction(
          data.map((row) =>
            this.writer.roomEventRow.upsert({
              where: { roomId_sequence: { roomId: row.roomId, sequence: row.sequence } },
              create: row,
              update: {},
            }),
          ),
        ),
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
