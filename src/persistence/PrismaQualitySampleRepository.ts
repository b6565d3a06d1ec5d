import type { PrismaClient } from '@prisma/client';
import type { QualitySample, QualitySampleRepository } from '../conference/ports';
import type { SqlExecutor } from './SqlExecutor';
import { type Column, insertIgnoringDuplicates } from './rawInsert';

const SAMPLE_COLUMNS: Column[] = [
  { name: 'participant_id' },
  { name: 'room_id' },
  { name: 'at' },
  { name: 'bitrate_in' },
  { name: 'bitrate_out' },
  { name: 'loss_in' },
  { name: 'rtt' },
  { name: 'jitter' },
];

export class PrismaQualitySampleRepository implements QualitySampleRepository {
  constructor(
    private readonly prisma: PrismaClient,
    /** Background writes (samples are written by a RetryingWriter), through the driver: see SqlExecutor. */
    private readonly writer: SqlExecutor,
  ) {}

  async append(samples: readonly QualitySample[]): Promise<void> {
    // Two samples of one participant in the same millisecond keep the first.
    await insertIgnoringDuplicates(
      this.writer,
      'quality_samples',
      SAMPLE_COLUMNS,
      samples.map((s) => [
        s.participantId,
        s.roomId,
        s.at,
        s.bitrateIn,
        s.bitrateOut,
        s.lossIn,
        s.rtt,
        s.jitter,
      ]),
    );
  }

  async listForParticipant(participantId: string, last: number): Promise<QualitySample[]> {
    const rows = await this.prisma.qualitySample.findMany({
      where: { participantId },
      orderBy: { at: 'desc' },
      take: last,
    });
    return rows.reverse();
  }

  async listForParticipants(
    participantIds: readonly string[],
    last: number,
  ): Promise<Map<string, QualitySample[]>> {
    const byParticipant = new Map<string, QualitySample[]>(participantIds.map((id) => [id, []]));
    if (participantIds.length === 0) return byParticipant;
    if (this.writer.provider === 'sqlite') {
      // In-process SQLite answers a query per participant in microseconds; the window query below is
      // PostgreSQL's dialect.
      for (const id of participantIds) byParticipant.set(id, await this.listForParticipant(id, last));
      return byParticipant;
    }
    // One query for the whole batch: the latest `last` of each participant (a window per participant).
    const rows = await this.prisma.$queryRaw<QualitySample[]>`
      SELECT "participantId", "roomId", at, "bitrateIn", "bitrateOut", "lossIn", rtt, jitter FROM (
        SELECT participant_id AS "participantId", room_id AS "roomId", at, bitrate_in AS "bitrateIn",
               bitrate_out AS "bitrateOut", loss_in AS "lossIn", rtt, jitter,
               ROW_NUMBER() OVER (PARTITION BY participant_id ORDER BY at DESC) AS n
        FROM quality_samples WHERE participant_id = ANY(${[...participantIds]}::text[])
      ) latest WHERE n <= ${last} ORDER BY "participantId", at ASC`;
    for (const row of rows) byParticipant.get(row.participantId)?.push({ ...row, at: new Date(row.at) });
    return byParticipant;
  }

  /** Retention, every few minutes even when idle: through the driver (no Prisma in an idle server). */
  async deleteBefore(at: Date): Promise<number> {
    return this.writer.run(
      `DELETE FROM "quality_samples" WHERE "at" < ${this.writer.provider === 'sqlite' ? '?' : '$1'}`,
      [at],
    );
  }
}
