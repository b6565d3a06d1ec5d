/**
 * Call-quality retention deletes through the driver (no Prisma in an idle server): the samples
 * before the cut go, the rest stay, on the embedded database and on PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Database } from '../../src/persistence/Database';
import { PrismaQualitySampleRepository } from '../../src/persistence/PrismaQualitySampleRepository';
import { PrismaRoomRepository } from '../../src/persistence/PrismaRoomRepository';
import { clusterDatabase } from '../helpers/clusterNodes';
import { POSTGRES_URL } from '../helpers/server';

type Backend = { open: () => Promise<Database>; cleanup: () => Promise<void> };

const backends: Array<[string, () => Backend]> = [
  [
    'embedded (SQLite)',
    () => {
      let dir = '';
      return {
        open: async () =>
          Database.open({ kind: 'embedded', dataDir: (dir = await mkdtemp(path.join(tmpdir(), 'q-'))) }),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
];
if (POSTGRES_URL) {
  const baseUrl = POSTGRES_URL;
  backends.push([
    'PostgreSQL',
    () => {
      const schema = clusterDatabase(baseUrl);
      return { open: () => Database.open({ kind: 'postgresql', url: schema.url }), cleanup: schema.drop };
    },
  ]);
}

describe.each(backends)('quality retention on %s', (_name, makeBackend) => {
  test('deleteBefore removes the samples before the cut and keeps the rest', async () => {
    const backend = makeBackend();
    const database = await backend.open();
    try {
      await new PrismaRoomRepository(database.prisma, database.sql).create({
        id: 'retained',
        name: 'Retained',
        createdAt: new Date(),
        maxParticipants: 10,
        videoCodec: 'VP8',
        simulcast: true,
        metadata: null,
      });
      const samples = new PrismaQualitySampleRepository(database.prisma, database.writer);
      const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
      const sample = (minutesAgo: number) => ({
        participantId: 'p1',
        roomId: 'retained',
        at: at(minutesAgo),
        bitrateIn: 1,
        bitrateOut: 2,
        lossIn: 0,
        rtt: 10,
        jitter: 1,
      });
      await samples.append([sample(90), sample(61), sample(59), sample(1)]);

      expect(await samples.deleteBefore(at(60))).toBe(2);
      const left = await samples.listForParticipant('p1', 10);
      expect(left.map((row) => Math.round((Date.now() - row.at.getTime()) / 60_000))).toEqual([59, 1]);
      expect(await samples.deleteBefore(at(60))).toBe(0);
    } finally {
      await database.close();
      await backend.cleanup();
    }
  });
});
