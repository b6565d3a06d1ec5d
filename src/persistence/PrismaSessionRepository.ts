import type { ParticipantSession, PrismaClient } from '@prisma/client';
import type { SessionRepository } from '../conference/ports';
import type { SessionRecord } from '../conference/records';
import type { Provider } from './Database';
import { appendIgnoringDuplicates } from './prismaErrors';

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
    private readonly provider: Provider = 'postgresql',
    /** Background writes (starts and ends are written by a RetryingWriter). */
    private readonly writer: PrismaClient = prisma,
  ) {}

  async start(session: Omit<SessionRecord, 'leftAt' | 'leaveReason'>): Promise<void> {
    // A start retried after a lost reply is stored once.
    await appendIgnoringDuplicates(
      this.provider,
      [session],
      (data, skipDuplicates) =>
        this.writer.participantSession.createMany({ data, ...(skipDuplicates && { skipDuplicates }) }),
      (data) =>
        this.writer.$transaction(
          data.map((row) =>
            this.writer.participantSession.upsert({ where: { id: row.id }, create: row, update: {} }),
          ),
        ),
    );
  }

  async end(id: string, leftAt: Date, reason: string): Promise<void> {
    // Only the first end counts: a session is left once, whatever raced to close it.
    await this.writer.participantSession.updateMany({
      where: { id, leftAt: null },
      data: { leftAt, leaveReason: reason },
    });
  }

  async endAllLive(leftAt: Date, reason: string): Promise<number> {
    const { count } = await this.prisma.participantSession.updateMany({
      where: { leftAt: null },
      data: { leftAt, leaveReason: reason },
    });
    return count;
  }

  async listForRoom(roomId: string): Promise<SessionRecord[]> {
    const rows = await this.prisma.participantSession.findMany({
      where: { roomId },
      orderBy: { joinedAt: 'asc' },
    });
    return rows.map(toRecord);
  }
}
