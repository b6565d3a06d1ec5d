import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt, exited, listening, startServer } from '../helpers/process';
import { graphqlEndpoint } from '../helpers/server';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a process did within `ms`: its exit, or 'still running' (it is then killed). */
async function exitWithin(child: ChildProcess, done: ReturnType<typeof exited>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'still running'>(
    (resolve) => (timer = setTimeout(resolve, ms, 'still running')),
  );
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  if (result === 'still running') {
    child.kill('SIGKILL');
    await done;
  }
  return result;
}

const stop = async (child: ChildProcess, done: ReturnType<typeof exited>) => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  return done;
};

describe('one server per DATA_DIR', () => {
  let dataDir: string;
  const children: Array<[ChildProcess, ReturnType<typeof exited>]> = [];
  const start = (env: Record<string, string>) => {
    const child = startServer(env);
    const done = exited(child);
    children.push([child, done]);
    return { child, done };
  };

  beforeAll(() => ensureBuilt(), 120_000);
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sfu-lock-'));
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(([child, done]) => stop(child, done)));
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a second server on a DATA_DIR in use refuses to start with one sentence, and the first and its data are untouched', async () => {
    const env = { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const a = start(env);
    const aEndpoint = graphqlEndpoint(await listening(a.child));
    const r1 = await aEndpoint.gql(`mutation { createRoom(input: { id: "r1" }) { id } }`);
    expect(r1.errors).toBeUndefined();

    const b = start(env);
    const refused = await exitWithin(b.child, b.done, 10_000);
    expect(refused).not.toBe('still running');
    if (refused === 'still running') return;
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim()).toMatch(
      new RegExp(
        `^The embedded database in ${escapeRegExp(dataDir)} is in use by another server ` +
          `\\(pid ${a.child.pid}, started \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\); ` +
          `stop it or set another DATA_DIR\\.$`,
      ),
    );

    // A is unaffected: it serves, writes, and still owns the lock.
    expect((await fetch(`${aEndpoint.url}/healthz`)).status).toBe(200);
    const r2 = await aEndpoint.gql(`mutation { createRoom(input: { id: "r2" }) { id } }`);
    expect(r2.errors).toBeUndefined();
    const lock = JSON.parse(await readFile(path.join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(a.child.pid);
    await aEndpoint.disconnect();
    expect((await stop(a.child, a.done)).code).toBe(0);
    expect(existsSync(path.join(dataDir, 'server.lock'))).toBe(false);

    const again = start(env);
    const endpoint = graphqlEndpoint(await listening(again.child));
    const rooms = await endpoint.gql<{ rooms: { nodes: Array<{ id: string }> } }>(
      `query { rooms { nodes { id } } }`,
    );
    expect(rooms.data?.rooms.nodes.map((room) => room.id).sort()).toEqual(['r1', 'r2']);
    await endpoint.disconnect();
    expect((await stop(again.child, again.done)).code).toBe(0);
  }, 90_000);

  test('a lock file left by a process that no longer runs does not stop a start', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    const deadPid = gone.pid;
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(
      path.join(dataDir, 'server.lock'),
      JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }),
    );

    const server = start({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const url = await listening(server.child);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const lock = JSON.parse(await readFile(path.join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(server.child.pid);
    expect((await stop(server.child, server.done)).code).toBe(0);
  }, 60_000);
});
