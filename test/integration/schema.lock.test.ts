/**
 * PostgreSQL: one server alone per schema, or the nodes of a cluster together (SchemaUseLock).
 * Before the lock, a second server without REDIS_URL started on the same schema, and each took the
 * other's open rooms for its own (start-up recovery closes rooms nobody holds).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Database, DatabaseInUseError } from '../../src/persistence';
import { POSTGRES_URL, startTestServer } from '../helpers/server';

const run = POSTGRES_URL ? describe : describe.skip;

run('the schema lock (PostgreSQL)', () => {
  const schema = `lock_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const url = (): string => {
    const parsed = new URL(POSTGRES_URL!);
    parsed.searchParams.set('schema', schema);
    return parsed.toString();
  };

  afterAll(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  test('a second server alone on the schema is refused with one sentence; it starts once the first stopped', async () => {
    const first = await startTestServer({ env: { DATABASE_URL: url() } });
    try {
      const created = await first.gql(`mutation { createRoom(input: { id: "kept", name: "Kept" }) { id } }`);
      expect(created.errors).toBeUndefined();
      const refused = await startTestServer({ env: { DATABASE_URL: url() } }).then(
        async (second) => {
          await second.dispose();
          return null;
        },
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(DatabaseInUseError);
      expect((refused as Error).message).toMatch(
        /Another server already uses PostgreSQL schema "lock_\w+" of DATABASE_URL: run one server per database/,
      );
      // The first one was not disturbed: its room is still open and listed.
      const rooms = await first.gql<{ rooms: { nodes: Array<{ id: string }> } }>(
        `query { rooms(first: 10) { nodes { id } } }`,
      );
      expect(rooms.data?.rooms.nodes.map((room) => room.id)).toEqual(['kept']);
    } finally {
      await first.stop();
    }
    const again = await startTestServer({ env: { DATABASE_URL: url() } });
    await again.stop();
  });

  test('cluster nodes share the schema; a server alone and a cluster node exclude each other', async () => {
    const nodeA = await Database.open({ kind: 'postgresql', url: url(), use: 'cluster' });
    const nodeB = await Database.open({ kind: 'postgresql', url: url(), use: 'cluster' });
    try {
      expect(nodeA.soleWriter).toBe(false);
      await expect(Database.open({ kind: 'postgresql', url: url(), use: 'alone' })).rejects.toThrow(
        DatabaseInUseError,
      );
    } finally {
      await nodeA.close();
      await nodeB.close();
    }
    const alone = await Database.open({ kind: 'postgresql', url: url(), use: 'alone' });
    try {
      expect(alone.soleWriter).toBe(true);
      await expect(Database.open({ kind: 'postgresql', url: url(), use: 'cluster' })).rejects.toThrow(
        /not a cluster node already uses PostgreSQL schema/,
      );
    } finally {
      await alone.close();
    }
  });
});
