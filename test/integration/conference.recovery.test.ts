import { rm } from 'node:fs/promises';
import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

const ROOMS = 50;
const TIMEOUT_MS = 800;

describe('rooms left open by a previous run', () => {
  let server: TestServer | undefined;
  let dataDir = '';
  afterAll(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('get their empty-room timeout at start: they close, and later joins do not fail with TOO_MANY_ROOMS', async () => {
    const env = { ROOMS_MAX: String(ROOMS), ROOM_EMPTY_TIMEOUT_MS: '600000' };
    const first = await startTestServer({ env });
    dataDir = first.dataDir;
    for (let n = 0; n < ROOMS; n++) {
      const created = await first.gql(`mutation { createRoom(input: { id: "left-${n}" }) { id } }`);
      expect(created.errors).toBeUndefined();
    }
    // The process goes away with the rooms open in the database (as after a crash: nobody closes them).
    await first.stop();

    server = await startTestServer({ env: { ...env, ROOM_EMPTY_TIMEOUT_MS: String(TIMEOUT_MS) }, dataDir });
    const started = Date.now();
    const prisma = server.app.database.prisma;
    expect(await prisma.room.count({ where: { closedAt: null } })).toBe(ROOMS);
    const early = await server.gql(`mutation { createRoom(input: { id: "too-early" }) { id } }`);
    expect(early.errors?.[0]?.extensions?.code).toBe('TOO_MANY_ROOMS');

    // One of them gets a visitor before the timeout: it stays open while someone is in it.
    const visitor = await TestParticipant.join(server, 'left-7', 'visitor');
    while ((await prisma.room.count({ where: { closedAt: null } })) > 1 && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const closedAfter = Date.now() - started;
    expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    // 50 rooms are closed one after the other (each: load, mark closed, ROOM_CLOSED event).
    expect(closedAfter).toBeLessThan(TIMEOUT_MS + 15_000);
    console.info(`50 abandoned rooms closed ${closedAfter} ms after the start`);
    const open = await prisma.room.findMany({ where: { closedAt: null }, select: { id: true } });
    expect(open).toEqual([{ id: 'left-7' }]);

    const joiner = await TestParticipant.join(server, 'fresh', 'joiner');
    expect(server.app.conference.participantsOf('fresh').map((p) => p.id)).toEqual([joiner.id]);
    await joiner.leave();
    await visitor.leave();
    // Closed rooms end with ROOM_CLOSED in their history, as any closed room does.
    await server.app.conference.flushEvents();
    const last = await prisma.roomEventRow.findFirst({
      where: { roomId: 'left-3' },
      orderBy: { sequence: 'desc' },
    });
    expect(last?.type).toBe('ROOM_CLOSED');
  }, 120_000);
});
