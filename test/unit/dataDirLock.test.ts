import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { DataDirInUseError, DataDirLock } from '../../src/persistence/DataDirLock';

const lockFile = (dir: string) => path.join(dir, 'server.lock');
const readLock = async (dir: string) =>
  JSON.parse(await readFile(lockFile(dir), 'utf8')) as { pid: number; hostname: string; startedAt: string };

/** A pid that ran and exited: nothing on this host answers to it now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

/** Runs until killed, as another server would. */
function livingProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

describe('DataDirLock', () => {
  let dir: string;
  const others: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sfu-lock-unit-'));
  });
  afterEach(async () => {
    for (const child of others.splice(0)) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('acquire writes a lock naming this process; release removes it, twice is harmless, and it can be taken again', async () => {
    const lock = await DataDirLock.acquire(dir);
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(Date.parse((await readLock(dir)).startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(lock.tookOverFrom).toBeUndefined();
    await lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    await lock.release();
    const again = await DataDirLock.acquire(dir);
    await again.release();
  });

  test('creates the directory when it does not exist', async () => {
    const nested = path.join(dir, 'a', 'b');
    const lock = await DataDirLock.acquire(nested);
    expect(existsSync(lockFile(nested))).toBe(true);
    await lock.release();
  });

  test('a second acquire in the same process is refused', async () => {
    const lock = await DataDirLock.acquire(dir);
    try {
      const refused = await DataDirLock.acquire(dir).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect((refused as DataDirInUseError).holder.pid).toBe(process.pid);
    } finally {
      await lock.release();
    }
  });

  test('a lock held by another running process is refused with a sentence naming the directory and the holder, and left as it is', async () => {
    const other = livingProcess();
    others.push(other);
    const text = JSON.stringify({
      pid: other.pid,
      hostname: hostname(),
      startedAt: '2026-12-01T08:20:00.123Z',
    });
    await writeFile(lockFile(dir), text);
    const refused = await DataDirLock.acquire(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    const error = refused as DataDirInUseError;
    expect(error.holder).toMatchObject({ pid: other.pid, startedAt: '2026-12-01T08:20:00.123Z' });
    expect(error.dataDir).toBe(dir);
    expect(error.message).toBe(
      `The embedded database in ${dir} is in use by another server (pid ${other.pid}, started 2026-12-01T08:20:00Z); stop it or set another DATA_DIR.`,
    );
    expect(await readFile(lockFile(dir), 'utf8')).toBe(text);
  });

  test('a lock from another host is refused (its process cannot be checked from here)', async () => {
    await writeFile(
      lockFile(dir),
      JSON.stringify({ pid: 4242, hostname: 'elsewhere', startedAt: '2026-12-01T08:20:00.000Z' }),
    );
    const refused = await DataDirLock.acquire(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toBe(
      `The embedded database in ${dir} is in use by another server (pid 4242 on host elsewhere, started 2026-12-01T08:20:00Z); stop it, or delete ${lockFile(dir)} if that server is gone, or set another DATA_DIR.`,
    );
  });

  test('a stale lock (its process is gone) is taken over', async () => {
    const pid = await deadPid();
    await writeFile(
      lockFile(dir),
      JSON.stringify({ pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    const lock = await DataDirLock.acquire(dir);
    expect(lock.tookOverFrom?.pid).toBe(pid);
    expect((await readLock(dir)).pid).toBe(process.pid);
    await lock.release();
  });

  test("a lock naming this process's own pid but not held by it (a restarted container's pid 1) is stale", async () => {
    await writeFile(
      lockFile(dir),
      JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }),
    );
    const lock = await DataDirLock.acquire(dir);
    expect(lock.tookOverFrom?.pid).toBe(process.pid);
    await lock.release();
  });

  test('an unreadable lock file (a crash while it was written) is stale once it is not new', async () => {
    await writeFile(lockFile(dir), '');
    const lock = await DataDirLock.acquire(dir, { settleMs: 50 });
    expect((await readLock(dir)).pid).toBe(process.pid);
    await lock.release();
  });

  test('a takeover left half done by a process that died does not block a start', async () => {
    const stale = JSON.stringify({
      pid: await deadPid(),
      hostname: hostname(),
      startedAt: '2026-01-01T00:00:00Z',
    });
    await writeFile(lockFile(dir), stale);
    const marker = `${lockFile(dir)}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
    await writeFile(
      marker,
      JSON.stringify({ pid: await deadPid(), hostname: hostname(), startedAt: new Date().toISOString() }),
    );
    const lock = await DataDirLock.acquire(dir);
    expect((await readLock(dir)).pid).toBe(process.pid);
    expect(existsSync(marker)).toBe(false);
    await lock.release();
  });

  test('release leaves a lock file that is no longer this one', async () => {
    const lock = await DataDirLock.acquire(dir);
    const other = JSON.stringify({ pid: 1, hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' });
    await writeFile(lockFile(dir), other);
    await lock.release();
    expect(await readFile(lockFile(dir), 'utf8')).toBe(other);
  });

  test('processes taking over one stale lock at once: exactly one gets it, the others are refused naming it', async () => {
    // The module as plain JavaScript, for child processes (it needs nothing but Node).
    const source = await readFile(
      path.join(__dirname, '..', '..', 'src', 'persistence', 'DataDirLock.ts'),
      'utf8',
    );
    const js = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    }).outputText;
    const modulePath = path.join(dir, 'DataDirLock.js');
    await writeFile(modulePath, js);
    const script = `
      const { DataDirLock } = require(${JSON.stringify(modulePath)});
      const at = Number(process.argv[2]);
      while (Date.now() < at);
      DataDirLock.acquire(process.argv[1]).then(
        (lock) => {
          console.log('held ' + process.pid);
          process.stdin.on('end', () => lock.release().then(() => process.exit(0))).resume();
        },
        (error) => {
          console.log(error.name === 'DataDirInUseError' ? 'refused ' + error.holder.pid : 'failed ' + error.stack);
          process.exit(0);
        },
      );`;
    const contenders = 4;
    for (let round = 0; round < 5; round += 1) {
      const dataDir = path.join(dir, `round-${round}`);
      await DataDirLock.acquire(dataDir).then((lock) => lock.release());
      await writeFile(
        lockFile(dataDir),
        JSON.stringify({ pid: await deadPid(), hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
      );
      const at = Date.now() + 700;
      const children = Array.from({ length: contenders }, () =>
        spawn(process.execPath, ['-e', script, dataDir, String(at)], { stdio: ['pipe', 'pipe', 'inherit'] }),
      );
      const exits = children.map((child) => new Promise((resolve) => child.on('exit', resolve)));
      const lines = await Promise.all(
        children.map(
          (child) =>
            new Promise<string>((resolve) => {
              let out = '';
              child.stdout.on('data', (chunk: Buffer) => {
                out += chunk.toString();
                if (out.includes('\n')) resolve(out.trim());
              });
            }),
        ),
      );
      const held = lines.filter((line) => line.startsWith('held '));
      expect(held).toHaveLength(1);
      const winner = held[0]!.slice('held '.length);
      expect(lines.filter((line) => line === `refused ${winner}`)).toHaveLength(contenders - 1);
      expect(String((await readLock(dataDir)).pid)).toBe(winner);
      for (const child of children) child.stdin.end();
      await Promise.all(exits);
    }
  }, 30_000);
});
