import type { Prisma, PrismaClient, Room } from '@prisma/client';
import type { RoomBan, RoomRepository } from '../conference/ports';
import type { Page, PageRequest, RoomRecord } from '../conference/records';
import { isVideoCodec } from '../conference/codecs';
import { decodeRoomCursor as decodeCursor, encodeRoomCursor as encodeCursor } from '../conference/roomPages';
import { DomainError, ErrorCode } from '../shared/errors';
import type { SqlExecutor } from './SqlExecutor';
import { type Column, insertIgnoringDuplicates } from './rawInsert';

const ROOM_COLUMNS: Column[] = [
  { name: 'id' },
  { name: 'name' },
  { name: 'created_at' },
  { name: 'max_participants' },
  { name: 'video_codec' },
  { name: 'simulcast' },
  { name: 'metadata', json: true },
];

const toRecord = (row: Room): RoomRecord => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt,
  closedAt: row.closedAt,
  maxParticipants: row.maxParticipants,
  videoCodec: isVideoCodec(row.videoCodec) ? row.videoCodec : 'VP8',
  simulcast: row.simulcast,
  metadata: (row.metadata as Record<string, unknown> | null) ?? null,
});

export class PrismaRoomRepository implements RoomRepository {
  constructor(
    private readonly prisma: PrismaClient,
    /** Room creation (a first joiner waits for it), through the driver: see SqlExecutor. */
    private readonly sql: SqlExecutor,
  ) {}

  async create(room: Omit<RoomRecord, 'closedAt'>): Promise<RoomRecord> {
    // A first joiner waits for this insert: through the driver (Prisma's create compiled a query
    // plan each time, ~2-4 ms of CPU on the request thread).
    const inserted = await insertIgnoringDuplicates(this.sql, 'rooms', ROOM_COLUMNS, [
      [
        room.id,
        room.name,
        room.createdAt,
        room.maxParticipants,
        room.videoCodec,
        room.simulcast,
        room.metadata,
      ],
    ]);
    if (inserted === 0) {
      throw new DomainError(ErrorCode.ROOM_EXISTS, `A room with id "${room.id}" already exists.`);
    }
    return { ...room, closedAt: null };
  }

  async findById(id: string): Promise<RoomRecord | null> {
    const row = await this.prisma.room.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async listOpen({ first, after }: PageRequest): Promise<Page<RoomRecord>> {
    const open: Prisma.RoomWhereInput = { closedAt: null };
    let where = open;
    if (after) {
      const { createdAt, id } = decodeCursor(after);
      where = { AND: [open, { OR: [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: id } }] }] };
    }
    const [rows, totalCount] = await Promise.all([
      this.prisma.room.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: first + 1 }),
      this.prisma.room.count({ where: open }),
    ]);
    const items = rows.slice(0, first).map(toRecord);
    const last = items.at(-1);
    return {
      items,
      hasNextPage: rows.length > first,
      endCursor: last ? encodeCursor(last) : null,
      totalCount,
    };
  }

  countOpen(): Promise<number> {
    return this.prisma.room.count({ where: { closedAt: null } });
  }

  async markClosed(id: string, closedAt: Date): Promise<void> {
    await this.prisma.room.updateMany({ where: { id, closedAt: null }, data: { closedAt } });
  }

  async ban(roomId: string, identity: string, bannedAt: Date): Promise<void> {
    // A later ban of the same identity moves the line: tokens issued before it stop working too.
    await this.prisma.roomBan.upsert({
      where: { roomId_identity: { roomId, identity } },
      create: { roomId, identity, bannedAt },
      update: { bannedAt },
    });
  }

  async listBans(roomId: string): Promise<RoomBan[]> {
    const rows = await this.prisma.roomBan.findMany({ where: { roomId } });
    return rows.map(({ identity, bannedAt }) => ({ identity, bannedAt }));
  }
}
