/**
 * The operator's first five minutes (issue 18, items 10-12 and 14), against the shipped entry point
 * (dist/src/main.js): mistakes at start get one sentence and no stack; at `info` the log follows
 * joins, leaves (with reasons) and rooms; medooze's own lines stay off stdout unless MEDIA_LOG.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestParticipant } from '../helpers/participant';
import { ensureBuilt, exited, listening, startServer } from '../helpers/process';
import { graphqlEndpoint } from '../helpers/server';

jest.setTimeout(240_000);

let dataDir: string;
beforeAll(async () => {
  ensureBuilt();
  dataDir = await mkdtemp(path.join(tmpdir(), 'sfu-startup-'));
}, 120_000);
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const listen = (server: Server, port = 0) =>
  new Promise<number>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );

test('a port in use: one sentence naming it and PORT, before the database is opened (item 10)', async () => {
  const blocker = createServer();
  const port = await listen(blocker);
  const dir = path.join(dataDir, 'port');
  try {
    const child = startServer({ PORT: String(port), DATA_DIR: dir, LOG_LEVEL: 'info' });
    let stdout = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    const { code, stderr } = await exited(child);
    expect(code).toBe(4);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^port ${port} is in use .*; set PORT`));
    expect(stdout).toBe('');
    // The embedded database was never created.
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  } finally {
    blocker.close();
  }
});

test('DATABASE_URL that nothing answers: retried for the configured time, then host:port and why (item 11)', async () => {
  const free = createServer();
  const port = await listen(free);
  await new Promise((resolve) => free.close(resolve));
  const started = Date.now();
  const { code, stderr } = await exited(
    startServer({
      PORT: '0',
      DATABASE_URL: `postgresql://sfu:sfu@127.0.0.1:${port}/sfu`,
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'error',
    }),
  );
  const took = Date.now() - started;
  expect(code).toBe(5);
  expect(took).toBeGreaterThanOrEqual(1500);
  expect(took).toBeLessThan(20_000);
  expect(stderr.trim()).toBe(
    `Could not connect to the PostgreSQL server at 127.0.0.1:${port}: the connection was refused ` +
      '(is PostgreSQL running there?) (tried for 2 s); check DATABASE_URL.',
  );
});

test('an unknown LOG_LEVEL gets the configuration sentence, not a stack (item 12)', async () => {
  const { code, stderr } = await exited(startServer({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'verbose' }));
  expect(code).toBe(2);
  expect(stderr.trim()).toBe(
    'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose").',
  );
});

test('info logs joins, leaves with reasons, rooms opening and closing, as JSON lines only (item 14)', async () => {
  const child = startServer({
    PORT: '0',
    DATA_DIR: path.join(dataDir, 'log'),
    LOG_LEVEL: 'info',
    ROOM_EMPTY_TIMEOUT_MS: '300',
  });
  const done = exited(child);
  let stdout = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  const endpoint = graphqlEndpoint(await listening(child));
  const ada = await TestParticipant.join(endpoint, 'logged', 'ada');
  const bob = await TestParticipant.join(endpoint, 'logged', 'bob');
  await ada.leave();
  await bob.leave();
  await endpoint.disconnect();
  const events = () =>
    stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event?: string; roomId?: string; reason?: string; level: number });
  const deadline = Date.now() + 10_000;
  while (!events().some((e) => e.event === 'room.closed') && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill('SIGTERM');
  await done;
  // Every stdout line is one of ours (JSON): medooze prints nothing without MEDIA_LOG.
  const logged = events().filter((e) => e.roomId === 'logged');
  expect(logged.map((e) => e.event)).toEqual([
    'room.opened',
    'participant.joined',
    'participant.joined',
    'participant.left',
    'participant.left',
    'room.closed',
  ]);
  expect(logged.filter((e) => e.event === 'participant.left').map((e) => e.reason)).toEqual(['LEFT', 'LEFT']);
  expect(logged.every((e) => e.level === 30)).toBe(true);
});
