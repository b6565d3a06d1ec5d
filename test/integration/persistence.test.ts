import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaSessionRepository } from '../../src/persistence/PrismaSessionRepository';
import { POSTGRES_URL, startTestServer } from '../helpers/server';

/**
 * The same suite runs on the embedded database and, when TEST_DATABASE_URL is set (CI sets it),
 * on PostgreSQL, each in a schema of its own that is dropped afterwards.
 */
const backends: Array<[string, () => { env: Record<string, string>; cleanup: () => Promise<void> }]> = [
  ['embedded (SQLite)', () => ({ env: {}, cleanup: async () => undefined })],
];
const postgresUrl = POSTGRES_URL;
if (postgresUrl) {
  backends.push([
    'PostgreSQL',
    () => {
      const schema = `test_${randomUUID().replaceAll('-', '')}`;
      const url = new URL(postgresUrl);
      url.searchParams.set('schema', schema);
      return {
        env: { DATABASE_URL: url.toString() },
        cleanup: async () => {
          const client = new pg.Client({ connectionString: postgresUrl });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  ]);
}

describe.each(backends)('persistence on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  afterAll(() => backend.cleanup());

  test('rooms and their state survive a server restart', async () => {
    const first = await startTestServer({ env: backend.env });
    try {
      await first.gql(
        `mutation { createRoom(input: { id: "kept", name: "Kept", maxParticipants: 5, metadata: { a: 1 } }) { id } }`,
      );
      await first.gql(`mutation { createRoom(input: { id: "ended" }) { id } }`);
      await first.gql(`mutation { closeRoom(id: "ended") { id } }`);
    } finally {
      await first.stop();
    }

    const second = await startTestServer({ env: backend.env, dataDir: first.dataDir });
    try {
      const kept = await second.gql<{ room: Record<string, unknown> }>(
        `query { room(id: "kept") { id name open maxParticipants metadata } }`,
      );
      expect(kept.data?.room).toEqual({
        id: 'kept',
        name: 'Kept',
        open: true,
        maxParticipants: 5,
        metadata: { a: 1 },
      });
      const ended = await second.gql<{ room: { open: boolean; closedAt: string } }>(
        `query { room(id: "ended") { open closedAt } }`,
      );
      expect(ended.data?.room.open).toBe(false);
      const open = await second.gql<{ rooms: { nodes: Array<{ id: string }> } }>(
        `query { rooms { nodes { id } } }`,
      );
      expect(open.data?.rooms.nodes.map((room) => room.id)).toEqual(['kept']);
    } finally {
      await second.dispose();
      await first.dispose();
    }
  });

  test("migrations are recorded in Prisma's own table and applied once", async () => {
    const first = await startTestServer({ env: backend.env });
    const dataDir = first.dataDir;
    await first.stop();
    const second = await startTestServer({ env: backend.env, dataDir });
    try {
      const rows = await second.app.database.prisma.$queryRawUnsafe<
        Array<{ migration_name: string; finished_at: Date | null }>
      >('SELECT migration_name, finished_at FROM "_prisma_migrations" ORDER BY migration_name');
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.migration_name)).size).toBe(rows.length);
      expect(rows.every((row) => row.finished_at !== null)).toBe(true);
    } finally {
      await second.dispose();
      await first.dispose();
    }
  });

  test('sessions left open by a crashed run are closed with SERVER_RESTART at start', async () => {
    const first = await startTestServer({ env: backend.env });
    await first.gql(`mutation { createRoom(input: { id: "crashy" }) { id } }`);
    await first.app.database.prisma.participantSession.create({
      data: { id: 'session-1', roomId: 'crashy', displayName: 'Ada' },
    });
    await first.stop();
    const second = await startTestServer({ env: backend.env, dataDir: first.dataDir });
    try {
      const session = await second.app.database.prisma.participantSession.findUniqueOrThrow({
        where: { id: 'session-1' },
      });
      expect(session.leaveReason).toBe('SERVER_RESTART');
      expect(session.leftAt).toBeInstanceOf(Date);
    } finally {
      await second.dispose();
      await first.dispose();
    }
  });
  test('stays end in one statement: each keeps its own time and reason, and only its first end counts', async () => {
    const server = await startTestServer({ env: backend.env });
    try {
      await server.gql(`mutation { createRoom(input: { id: "ends" }) { id } }`);
      const { database } = server.app;
      const sessions = new PrismaSessionRepository(database.prisma, database.writer);
      const joinedAt = new Date('2026-12-03T10:00:00.000Z');
      await sessions.start(
        ['ada', 'bob', 'cyd'].map((name) => ({
          id: `end-${name}`,
          roomId: 'ends',
          displayName: name,
          identity: null,
          joinedAt,
        })),
      );
      await sessions.end([
        { id: 'end-ada', leftAt: new Date('2026-12-03T10:01:00.123Z'), reason: 'LEFT' },
        { id: 'end-bob', leftAt: new Date('2026-12-03T10:02:00.456Z'), reason: 'KICKED' },
      ]);
      // A later end of a stay that ended already changes nothing; the other one in the batch is stored.
      await sessions.end([
        { id: 'end-ada', leftAt: new Date('2026-12-03T10:05:00.000Z'), reason: 'TIMEOUT' },
        { id: 'end-cyd', leftAt: new Date('2026-12-03T10:03:00.789Z'), reason: 'TIMEOUT' },
      ]);
      const rows = await database.prisma.participantSession.findMany({
        where: { roomId: 'ends' },
        orderBy: { id: 'asc' },
      });
      expect(rows.map((row) => [row.id, row.leftAt?.toISOString(), row.leaveReason])).toEqual([
        ['end-ada', '2026-12-03T10:01:00.123Z', 'LEFT'],
        ['end-bob', '2026-12-03T10:02:00.456Z', 'KICKED'],
        ['end-cyd', '2026-12-03T10:03:00.789Z', 'TIMEOUT'],
      ]);
    } finally {
      await server.dispose();
    }
  });
});
