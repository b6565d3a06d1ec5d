import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

export type TargetKind = 'ours' | 'baseline';

export interface ServerProcess {
  kind: TargetKind;
  pid: number;
  /** http://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
}

/** The repository root: the nearest directory above this file with a package.json. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'src'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

const OURS_ENTRY = ['dist', 'src', 'main.js'];
const BASELINE_ENTRY = ['dist', 'bench', 'baseline', 'server.js'];

/**
 * Makes sure both servers can be spawned: compiles ours (tsc, incremental: a no-op when current)
 * unless `skipBuild`, and bundles the baseline with esbuild (fast; node_modules stay external).
 */
export async function ensureBuilt(options: { skipBuild?: boolean; root?: string } = {}): Promise<void> {
  const root = options.root ? path.resolve(options.root) : projectRoot();
  if (!options.skipBuild || !existsSync(path.join(root, ...OURS_ENTRY))) {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
  }
  await build({
    entryPoints: [path.join(root, 'bench', 'baseline', 'server.ts')],
    outfile: path.join(root, ...BASELINE_ENTRY),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Starts one server in its own process on 127.0.0.1 and an ephemeral port. */
export async function startServer(
  kind: TargetKind,
  options: {
    oursRoot?: string;
    baselineRoot?: string;
    timeoutMs?: number;
    cpuProfileDir?: string;
    env?: Record<string, string>;
  } = {},
): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // Either may come from another checkout (e.g. an export of a commit), built there.
  const other = kind === 'ours' ? options.oursRoot : options.baselineRoot;
  const root = other ? path.resolve(other) : projectRoot();
  const dataDir = mkdtempSync(path.join(tmpdir(), `sfu-bench-${kind}-`));
  const entry = path.join(root, ...(kind === 'ours' ? OURS_ENTRY : BASELINE_ENTRY));
  // A V8 CPU profile of the server (written when it exits), to see where its time goes.
  const profile = options.cpuProfileDir
    ? ['--cpu-prof', '--cpu-prof-dir', path.join(path.resolve(options.cpuProfileDir), kind)]
    : [];
  const schema =
    kind === 'ours' ? freshSchema(options.env?.DATABASE_URL ?? process.env.DATABASE_URL) : undefined;
  const child: ChildProcess = spawn(process.execPath, [...profile, entry], {
    cwd: root,
    env: {
      ...process.env,
      ...(schema && { DATABASE_URL: schema.url }),
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: kind === 'ours' ? 'info' : 'warn',
      // Benchmark rooms are bigger than the default cap of 16.
      ROOM_DEFAULT_MAX_PARTICIPANTS: '1000',
      JOINS_PER_SECOND_PER_ADDRESS: '0',
      JEST_WORKER_ID: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running on its own: it may still come up later.
      child.kill('SIGKILL');
      reject(new Error(`${kind} server did not start in ${timeoutMs} ms:\n${output.slice(-2000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /(?:page|baseline listening) (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
      if (output.length > 100_000) output = output.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code} before serving:\n${output.slice(-2000)}`));
    });
  });
  let url: string;
  try {
    url = await started;
  } catch (error) {
    // A server that never served leaves nothing behind either: its directory, its schema.
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
    throw error;
  }
  // Keep draining its output so a full pipe never blocks it; BENCH_SERVER_LOG=<dir> keeps it.
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  const logDir = process.env.BENCH_SERVER_LOG;
  if (logDir) {
    const file = createWriteStream(path.join(logDir, `${kind}-${child.pid}.log`));
    file.write(output);
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${kind} server has no pid`);
  return {
    kind,
    pid,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(kill);
          rmSync(dataDir, { recursive: true, force: true });
          void (schema ? dropSchema(schema) : Promise.resolve()).then(resolve);
        };
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * On PostgreSQL, each start of our server gets a schema of its own, as it gets a new DATA_DIR on
 * the embedded database: the rooms an earlier pass or run left open (its server was stopped, not
 * closed) would otherwise be loaded at start, count against the open-room limit and be joined as
 * abandoned rooms (three reads) where a new room takes one insert. A URL naming its schema is
 * used as given.
 */
function freshSchema(
  databaseUrl: string | undefined,
): { url: string; base: string; name: string } | undefined {
  if (!databaseUrl || /[?&]schema=/.test(databaseUrl)) return undefined;
  const name = `bench_${process.pid}_${Date.now().toString(36)}`;
  return {
    url: `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}schema=${name}`,
    base: databaseUrl,
    name,
  };
}

async function dropSchema(schema: { base: string; name: string }): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: schema.base });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema.name}" CASCADE`);
  } catch (error) {
    console.error(`could not drop the benchmark schema ${schema.name}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
