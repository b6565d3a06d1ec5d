import type { Prisma, PrismaClient, Room } from '@prisma/client';
import type { RoomBan, RoomRepository } from '../conference/ports';
import type { Page, PageRequest, RoomRecord } from '../conference/records';
import { isVideoCodec } from '../conference/codecs';
import { decodeRoomCursor as decodeCursor, encodeRoomCursor as encodeCursor } from '../conference/roomPages';
import { DomainError, ErrorCode } from '../shared/errors';
import { isUniqueViolation } from './prismaErrors';

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
  constructor(private readonly prisma: PrismaClient) {}

  async create(room: Omit<RoomRecord, 'closedAt'>): Promise<RoomRecord> {
    try {
      const row = await this.prisma.room.create({
        // No metadata: the column's NULL (left out rather than Prisma.DbNull, which is per generated client).
        data: {
          ...room,
          metadata: room.metadata === null ? undefined : (room.metadata as Prisma.InputJsonObject),
        },
      });
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(ErrorCode.ROOM_EXISTS, `A room with id "${room.id}" already exists.`);
      }
      throw error;
    }
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
