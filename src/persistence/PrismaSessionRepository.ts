import type { ParticipantSession, PrismaClient } from '@prisma/client';
import type { SessionEnd, SessionRepository } from '../conference/ports';
import type { SessionRecord } from '../conference/records';
import type { SqlExecutor } from './SqlExecutor';
import { type Column, insertIgnoringDuplicates } from './rawInsert';

const SESSION_COLUMNS: Column[] = [
  { name: 'id' },
  { name: 'room_id' },
  { name: 'display_name' },
  { name: 'identity' },
  { name: 'joined_at' },
];

const toRecord = (row: ParticipantSession): SessionRecord => ({
  id: row.id,
  roomId: row.roomId,
  displayName: row.displayName,
  identity: row.identity,
  joinedAt: row.joinedAt,
  leftAt: row.leftAt,
  leaveReason: row.leaveReason,
});

export class PrismaSessionRepository implements SessionRepository {
  constructor(
    private readonly prisma: PrismaClient,
    /** Background writes (starts and ends are written by a RetryingWriter), through the driver: see SqlExecutor. */
    private readonly writer: SqlExecutor,
  ) {}

  async start(sessions: ReadonlyArray<Omit<SessionRecord, 'leftAt' | 'leaveReason'>>): Promise<void> {
    // A start retried after a lost reply is stored once.
    await insertIgnoringDuplicates(
      this.writer,
      'participant_sessions',
      SESSION_COLUMNS,
      sessions.map((session) => [
        session.id,
        session.roomId,
        session.displayName,
        session.identity,
        session.joinedAt,
      ]),
    );
  }

  async end(ends: ReadonlyArray<SessionEnd>): Promise<void> {
    if (ends.length === 0) return;
    // One statement for the batch (UPDATE … FROM a VALUES list, the same SQL on PostgreSQL and
    // SQLite >= 3.33, whose VALUES columns are both named column1, column2, …). Only the first end
    // counts: a session is left once, whatever raced to close it.
    const sqlite = this.writer.provider === 'sqlite';
    const values: unknown[] = [];
    const rows = ends.map(({ id, leftAt, reason }) => {
      values.push(id, leftAt, reason);
      const n = values.length;
      return sqlite ? '(?, ?, ?)' : `($${n - 2}, CAST($${n - 1} AS timestamptz), $${n})`;
    });
    await this.writer.run(
      `UPDATE "participant_sessions" AS s SET "left_at" = v.column2, "leave_reason" = v.column3 ` +
        `FROM (VALUES ${rows.join(', ')}) AS v WHERE s."id" = v.column1 AND s."left_at" IS NULL`,
      values,
    );
  }

  /** At start-up: through the driver, so that an idle server never loads Prisma's query compiler. */
  async endAllLive(leftAt: Date, reason: string): Promise<number> {
    const $ = (n: number) => (this.writer.provider === 'sqlite' ? '?' : `$${n}`);
    return this.writer.run(
      `UPDATE "participant_sessions" SET "left_at" = ${$(1)}, "leave_reason" = ${$(2)} WHERE "left_at" IS NULL`,
      [leftAt, reason],
    );
  }

  async endLiveInRoom(roomId: string, leftAt: Date, reason: string): Promise<SessionRecord[]> {
    const live = await this.prisma.participantSession.findMany({
      where: { roomId, leftAt: null, joinedAt: { lt: leftAt } },
    });
    if (live.length === 0) return [];
    await this.prisma.participantSession.updateMany({
      where: { id: { in: live.map((row) => row.id) }, leftAt: null },
      data: { leftAt, leaveReason: reason },
    });
    return live.map((row) => ({ ...toRecord(row), leftAt, leaveReason: reason }));
  }

  async listForRoom(
    roomId: string,
    page: { first: number; after?: string | null },
  ): Promise<SessionRecord[]> {
    const cursor = page.after
      ? await this.prisma.participantSession.findFirst({
          where: { id: page.after, roomId },
          select: { id: true, joinedAt: true },
        })
      : null;
    const rows = await this.prisma.participantSession.findMany({
      where: cursor
        ? {
            roomId,
            OR: [{ joinedAt: { gt: cursor.joinedAt } }, { joinedAt: cursor.joinedAt, id: { gt: cursor.id } }],
          }
        : { roomId },
      orderBy: [{ joinedAt: 'asc' }, { id: 'asc' }],
      take: page.first,
    });
    return rows.map(toRecord);
  }
}
