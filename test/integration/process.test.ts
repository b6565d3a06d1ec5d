import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const entry = path.join(root, 'dist', 'src', 'main.js');

/** The shipped entry point, as `npm start` runs it. */
function startServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [entry], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stderr }));
  });

describe('the server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    if (!existsSync(entry))
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
        cwd: root,
      });
    dataDir = await mkdtemp(path.join(tmpdir(), 'sfu-process-'));
  }, 120_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  test('serves, then shuts down in order on SIGTERM and exits 0', async () => {
    const child = startServer({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const done = exited(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /page (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', () => reject(new Error(`exited before listening: ${out}`)));
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    const { code } = await done;
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  test('a bad setting stops it at start with one clear sentence and exit code 2', async () => {
    const { code, stderr } = await exited(startServer({ PORT: 'eighty', DATA_DIR: dataDir }));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('Invalid configuration: PORT must be a number (got "eighty").');
  });
});
