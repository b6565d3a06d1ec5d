import { Prisma, type PrismaClient } from '@prisma/client';
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
    const rows = await this.prisma.$queryRaw<Array<{ room_id: string }>>(Prisma.sql`
      SELECT e.room_id FROM room_events e
      LEFT JOIN webhook_cursors c ON c.url = ${url} AND c.room_id = e.room_id
      WHERE e.at >= ${since}
      GROUP BY e.room_id, c.delivered_through
      HAVING MAX(e.sequence) > COALESCE(c.delivered_through, 0)`);
    return rows.map((row) => row.room_id);
  }
}
