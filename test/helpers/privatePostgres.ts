import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL cluster of one test file's own: its own data directory, port and socket directory,
 * so a test may stop and start it (a database outage) without touching the machine's cluster on
 * 5432 or another test's database.
 */
export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** Fast shutdown (`pg_ctl stop -m fast`): open connections are cut; resolves once it is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (immediate shutdown) if running and deletes its files. Idempotent, never throws. */
  dispose(): Promise<void>;
}

const POSTGRES_ROOT = '/usr/lib/postgresql';
const MAIN_CLUSTER_PORT = 5432;

/** The newest installed PostgreSQL's bin directory (Debian layout: /usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const versions = existsSync(POSTGRES_ROOT)
    ? readdirSync(POSTGRES_ROOT)
        .filter((version) => existsSync(path.join(POSTGRES_ROOT, version, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`privatePostgres: no PostgreSQL in ${POSTGRES_ROOT}/*/bin`);
  return path.join(POSTGRES_ROOT, versions[0]!, 'bin');
}

/** A TCP port free on 127.0.0.1 now (never the main cluster's). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port > 0 && port !== MAIN_CLUSTER_PORT) return port;
  }
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user. */
const asRoot = process.getuid?.() === 0;

function command(program: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

function run(program: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<string> {
  const [file, argv] = command(program, args);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      argv,
      { cwd, timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${path.basename(program)} ${args.join(' ')} failed: ${error.message}\n${stderr}`),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function uidGid(user: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`privatePostgres: no "${user}" user`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Resolves once a connection to `url` runs `SELECT 1`; rejects after `timeoutMs`. */
async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`privatePostgres: not accepting connections after ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * initdb + start of a fresh cluster in a temporary directory: trust authentication, user
 * `postgres`, TCP on 127.0.0.1 only, a free port, fsync off (-F). Call `dispose()` in afterAll.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const base = await mkdtemp(path.join(tmpdir(), 'sfu-private-pg-'));
  const dataDir = path.join(base, 'data');
  const socketDir = path.join(base, 'socket');
  const logFile = path.join(base, 'postgres.log');
  await mkdir(socketDir);
  if (asRoot) {
    const { uid, gid } = uidGid('postgres');
    await chown(base, uid, gid);
    await chown(socketDir, uid, gid);
  }
  const pgCtl = path.join(bin, 'pg_ctl');
  let running = false;
  let disposed = false;
  let port = 0;

  // Whatever happens to the test (a crash, a forgotten dispose), the cluster does not outlive the process.
  const onExit = () => {
    if (!running) return;
    const [file, argv] = command(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10']);
    spawnSync(file, argv, { cwd: base, stdio: 'ignore' });
  };
  process.on('exit', onExit);

  const startOnce = async () => {
    const options = `-c listen_addresses=127.0.0.1 -c port=${port} -k ${socketDir} -F`;
    await run(pgCtl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', options], base);
    running = true;
    await waitUntilAccepting(url(), 15_000);
  };
  const url = () => `postgresql://postgres@127.0.0.1:${port}/postgres`;

  try {
    await run(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C'],
      base,
    );
    // A port free when probed may be taken before the postmaster binds it: then try another.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await startOnce();
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    onExit();
    process.off('exit', onExit);
    await rm(base, { recursive: true, force: true });
    throw error;
  }

  const cluster: PrivatePostgres = {
    get url() {
      return url();
    },
    get port() {
      return port;
    },
    get running() {
      return running;
    },
    async stop() {
      if (!running) return;
      await run(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], base);
      running = false;
    },
    async start() {
      if (running) return;
      if (disposed) throw new Error('privatePostgres: start() after dispose()');
      await startOnce();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        if (running) {
          await run(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'], base).catch(
            (error: unknown) => console.error(String(error)),
          );
          running = false;
        }
      } finally {
        process.off('exit', onExit);
        await rm(base, { recursive: true, force: true });
      }
    },
  };
  return cluster;
}
