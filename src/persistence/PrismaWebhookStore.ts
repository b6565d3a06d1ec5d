import type { PrismaClient } from '@prisma/client';
import type { WebhookFailureRecord, WebhookStore } from '../conference/ports';

export class PrismaWebhookStore implements WebhookStore {
  constructor(private readonly prisma: PrismaClient) {}

  async endpoint(url: string): Promise<Date> {
    const row = await this.prisma.webhookEndpoint.upsert({ where: { url }, create: { url }, update: {} });
    return row.createdAt;
  }

  async cursor(url: string, roomId: string): Promise<number | null> {
    const row = await this.prisma.webhookCursor.findUnique({ where: { url_roomId: { url, roomId } } });
    return row?.deliveredThrough ?? null;
  }

  async advance(url: string, roomId: string, through: number): Promise<void> {
    await this.prisma.webhookCursor.upsert({
      where: { url_roomId: { url, roomId } },
      create: { url, roomId, deliveredThrough: through },
      update: { deliveredThrough: through },
    });
  }

  async recordFailure(failure: WebhookFailureRecord): Promise<void> {
    const { url, roomId, sequence, ...rest } = failure;
    await this.prisma.webhookFailure.upsert({
      where: { url_roomId_sequence: { url, roomId, sequence } },
      create: failure,
      update: rest,
    });
  }

  async listFailures(first: number): Promise<WebhookFailureRecord[]> {
    return this.prisma.webhookFailure.findMany({ orderBy: { failedAt: 'desc' }, take: first });
  }

  async roomsBehind(url: string, since: Date): Promise<string[]> {
    // Through the query API rather than SQL, so PostgreSQL and SQLite (dates stored differently) agree.
    const [latest, cursors] = await Promise.all([
      this.prisma.roomEventRow.groupBy({
        by: ['roomId'],
        where: { at: { gte: since } },
        _max: { sequence: true },
      }),
      this.prisma.webhookCursor.findMany({ where: { url } }),
    ]);
    const through = new Map(cursors.map((cursor) => [cursor.roomId, cursor.deliveredThrough]));
    return latest
      .filter((room) => (room._max.sequence ?? 0) > (through.get(room.roomId) ?? 0))
      .map((room) => room.roomId);
  }
}
