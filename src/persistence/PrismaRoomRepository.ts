import type { PrismaClient, Room } from '@prisma/client';
import type { RoomBan, RoomRepository } from '../conference/ports';
import type { Page, PageRequest, RoomRecord } from '../conference/records';
import { isVideoCodec } from '../conference/codecs';
import { decodeRoomCursor as decodeCursor, encodeRoomCursor as encodeCursor } from '../conference/roomPages';
import { DomainError, ErrorCode } from '../shared/errors';
import { booleanOf, dateOf, jsonOf, type SqlExecutor } from './SqlExecutor';
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

/** A row read through the driver (snake_case columns). */
const fromColumns = (row: Record<string, unknown>): RoomRecord => ({
  id: String(row.id),
  name: String(row.name),
  createdAt: dateOf(row.created_at) as Date,
  closedAt: dateOf(row.closed_at),
  maxParticipants: Number(row.max_participants),
  videoCodec: isVideoCodec(String(row.video_codec))
    ? (String(row.video_codec) as RoomRecord['videoCodec'])
    : 'VP8',
  simulcast: booleanOf(row.simulcast),
  metadata: (jsonOf(row.metadata) as Record<string, unknown> | null) ?? null,
});

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

  /** Through the driver (see SqlExecutor): on PostgreSQL `rooms` reads this on every request. */
  async listOpen({ first, after }: PageRequest): Promise<Page<RoomRecord>> {
    const $ = (n: number) => (this.sql.provider === 'sqlite' ? '?' : `$${n}`);
    const cursor = after ? decodeCursor(after) : null;
    const past = cursor ? `AND ("created_at" > ${$(1)} OR ("created_at" = ${$(2)} AND "id" > ${$(3)}))` : '';
    const params: unknown[] = cursor ? [cursor.createdAt, cursor.createdAt, cursor.id] : [];
    const [rows, totalCount] = await Promise.all([
      this.sql.query(
        `SELECT * FROM "rooms" WHERE "closed_at" IS NULL ${past} ORDER BY "created_at" ASC, "id" ASC LIMIT ${$(params.length + 1)}`,
        [...params, first + 1],
      ),
      this.countOpen(),
    ]);
    const items = rows.slice(0, first).map(fromColumns);
    const last = items.at(-1);
    return {
      items,
      hasNextPage: rows.length > first,
      endCursor: last ? encodeCursor(last) : null,
      totalCount,
    };
  }

  async countOpen(): Promise<number> {
    const [row] = await this.sql.query(
      'SELECT COUNT(*) AS "count" FROM "rooms" WHERE "closed_at" IS NULL',
      [],
    );
    return Number(row?.count ?? 0);
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
