import type { PrismaClient } from '@prisma/client';
import type { QualitySample, QualitySampleRepository } from '../conference/ports';
import type { Provider } from './Database';
import { appendIgnoringDuplicates } from './prismaErrors';

export class PrismaQualitySampleRepository implements QualitySampleRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly provider: Provider = 'postgresql',
    /** Background writes (samples are written by a RetryingWriter). */
    private readonly writer: PrismaClient = prisma,
  ) {}

  async append(samples: readonly QualitySample[]): Promise<void> {
    // Two samples of one participant in the same millisecond keep the first.
    await appendIgnoringDuplicates(
      this.provider,
      samples,
      (data, skipDuplicates) =>
        this.writer.qualitySample.createMany({ data, ...(skipDuplicates && { skipDuplicates }) }),
      (data) =>
        this.writer.$transaction(
          data.map((sample) =>
            this.writer.qualitySample.upsert({
              where: { participantId_at: { participantId: sample.participantId, at: sample.at } },
              create: sample,
              update: {},
            }),
          ),
        ),
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

  async deleteBefore(at: Date): Promise<number> {
    const { count } = await this.writer.qualitySample.deleteMany({ where: { at: { lt: at } } });
    return count;
  }
}
