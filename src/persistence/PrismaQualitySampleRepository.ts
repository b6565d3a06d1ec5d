import type { PrismaClient } from '@prisma/client';
import type { QualitySample, QualitySampleRepository } from '../conference/ports';

export class PrismaQualitySampleRepository implements QualitySampleRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async append(samples: readonly QualitySample[]): Promise<void> {
    // skipDuplicates: two samples of one participant in the same millisecond keep the first.
    await this.prisma.qualitySample.createMany({ data: [...samples], skipDuplicates: true });
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
    const { count } = await this.prisma.qualitySample.deleteMany({ where: { at: { lt: at } } });
    return count;
  }
}
