import { execFileSync } from 'node:child_process';
import { AccessTokens } from '../../src/access/AccessTokens';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestParticipant } from '../helpers/participant';
import { ensureBuilt, exited, listening, root, startServer } from '../helpers/process';
import { graphqlEndpoint } from '../helpers/server';

describe('the server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    ensureBuilt();
    dataDir = await mkdtemp(path.join(tmpdir(), 'sfu-process-'));
  }, 120_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  test('serves, then shuts down in order on SIGTERM and exits 0', async () => {
    const child = startServer({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const done = exited(child);
    const url = await listening(child);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    const { code } = await done;
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  test('`npm run token` mints join and admin tokens the server accepts', () => {
    const env = { ...process.env, API_KEY: 'cli-key', API_SECRET: 'cli-secret-0123456789abcdef0123456789' };
    const cli = path.join(root, 'dist', 'src', 'access', 'tokenCli.js');
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' }).trim();
    const tokens = new AccessTokens('cli-key', 'cli-secret-0123456789abcdef0123456789');
    expect(
      tokens.verify(
        run('--room', 'standup', '--identity', 'ada', '--name', 'Ada', '--no-publish', '--ttl', '2h'),
      ),
    ).toMatchObject({
      kind: 'join',
      room: 'standup',
      identity: 'ada',
      name: 'Ada',
      grants: { canPublish: false, canSubscribe: true, roomAdmin: false },
    });
    const admin = tokens.verify(run('--admin', '--ttl', '10m'));
    expect(admin.kind).toBe('admin');
    expect(admin.expiresAt.getTime() - admin.issuedAt.getTime()).toBe(600_000);
    expect(() => execFileSync(process.execPath, [cli, '--room', 'x'], { env, stdio: 'pipe' })).toThrow(
      /--room and --identity/,
    );
  });

  test('a bad setting stops it at start with one clear sentence and exit code 2', async () => {
    const { code, stderr } = await exited(startServer({ PORT: 'eighty', DATA_DIR: dataDir }));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('Invalid configuration: PORT must be a number (got "eighty").');
  });
});

describe('a server killed during a call', () => {
  test('after SIGKILL and a restart, rooms and history are intact, live sessions end as SERVER_RESTART, and people can rejoin', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sfu-crash-'));
    const env = { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const first = startServer(env);
    const firstEndpoint = graphqlEndpoint(await listening(first));
    const alice = await TestParticipant.join(firstEndpoint, 'survivor', 'alice');
    const bob = await TestParticipant.join(firstEndpoint, 'survivor', 'bob');
    await alice.waitForMediaFrom([bob]);
    const exitedFirst = exited(first);
    first.kill('SIGKILL');
    await exitedFirst;
    await alice.close();
    await bob.close();
    await firstEndpoint.disconnect();

    const second = startServer(env);
    const secondExit = exited(second);
    try {
      const endpoint = graphqlEndpoint(await listening(second));
      const room = await endpoint.gql<{
        room: { open: boolean; sessions: Array<{ displayName: string; leaveReason: string | null }> };
      }>(`query { room(id: "survivor") { open sessions { displayName leaveReason } } }`);
      expect(room.data?.room.open).toBe(true);
      expect(room.data?.room.sessions).toEqual([
        { displayName: 'alice', leaveReason: 'SERVER_RESTART' },
        { displayName: 'bob', leaveReason: 'SERVER_RESTART' },
      ]);
      const alice2 = await TestParticipant.join(endpoint, 'survivor', 'alice');
      const bob2 = await TestParticipant.join(endpoint, 'survivor', 'bob');
      await alice2.waitForMediaFrom([bob2]);
      await bob2.waitForMediaFrom([alice2]);
      await alice2.close();
      await bob2.close();
      await endpoint.disconnect();
    } finally {
      second.kill('SIGTERM');
      await secondExit;
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
