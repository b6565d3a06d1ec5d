import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Who holds a data directory: what its lock file says. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  startedAt: string;
}

const LOCK_FILE = 'server.lock';
/** A takeover marker is held for milliseconds; one older than this was left by a stuck or reused pid. */
const MARKER_MAX_AGE_MS = 10_000;
/** How long to keep trying while other processes are in the middle of taking over a stale lock. */
const ACQUIRE_TIMEOUT_MS = 10_000;

/** The data directory is locked by another server: the message is one sentence for the operator. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';

  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockFile: string,
  ) {
    const started = holder.startedAt.replace(/\.\d+Z$/, 'Z');
    super(
      holder.hostname === hostname()
        ? `The embedded database in ${dataDir} is in use by another server (pid ${holder.pid}, started ${started}); stop it or set another DATA_DIR.`
        : `The embedded database in ${dataDir} is in use by another server (pid ${holder.pid} on host ${holder.hostname}, started ${started}); stop it, or delete ${lockFile} if that server is gone, or set another DATA_DIR.`,
    );
  }
}

interface LockRecord {
  holder: LockHolder;
  /** The exact file contents: unique per acquisition (it carries a random id), so it identifies one lock. */
  text: string;
}

interface Found {
  text: string;
  /** Undefined when the file does not hold a valid record (being written, or left torn by a crash). */
  holder: LockHolder | undefined;
  mtimeMs: number;
}

/** Locks held by this process, by file: a second open in the same process is refused too. */
const heldHere = new Map<string, DataDirLock>();
/** Files (locks and takeover markers) this process created and has not deleted, from the moment they exist. */
const ownedHere = new Set<string>();

/**
 * An exclusive lock on a data directory, held for the life of the process that opened the embedded
 * database there: two PGlite instances on one directory each write their own view and the last to
 * close wins, silently losing the other's writes.
 *
 * The lock is `<dir>/server.lock`, created with O_EXCL and holding `{pid, hostname, startedAt, id}`.
 * A lock whose process is gone (same host, the pid does not exist, or is this process's own pid
 * without this process holding it: a restarted container's pid 1) is stale and taken over, so a
 * server killed with SIGKILL can start again. A lock from another host cannot be checked and is
 * respected.
 *
 * Taking over is the one racy step (two starters may both find the same stale lock, and an
 * unconditional delete by the slower one would delete the faster one's fresh lock). So only the
 * process that creates the takeover marker `server.lock.takeover-<hash of the stale contents>`
 * (O_EXCL again) may delete the lock, and only after re-reading it still holds those exact contents;
 * every other contender waits and looks again. Nothing else ever deletes a lock that is not its own.
 * A marker left by a process that died mid-takeover is itself stale and is broken the same way.
 */
export class DataDirLock {
  #released = false;

  private constructor(
    readonly file: string,
    private readonly record: LockRecord,
    /** The holder of the stale lock this one replaced, if any. */
    readonly tookOverFrom: LockHolder | undefined,
  ) {}

  get holder(): LockHolder {
    return this.record.holder;
  }

  /**
   * Locks `dataDir` (creating it if needed) or throws DataDirInUseError naming the holder.
   * `settleMs`: how long a lock file without a valid record is taken for one being written.
   */
  static async acquire(dataDir: string, options: { settleMs?: number } = {}): Promise<DataDirLock> {
    const settleMs = options.settleMs ?? 2000;
    const dir = path.resolve(dataDir);
    const file = path.join(dir, LOCK_FILE);
    const inUse = (holder: LockHolder) => new DataDirInUseError(dir, holder, file);
    const mine = heldHere.get(file);
    if (mine) throw inUse(mine.holder);
    await mkdir(dir, { recursive: true });

    const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
    let tookOverFrom: LockHolder | undefined;
    for (;;) {
      const record = await createExclusive(file);
      if (record) {
        const lock = new DataDirLock(file, record, tookOverFrom);
        heldHere.set(file, lock);
        return lock;
      }
      const found = await read(file);
      if (!found) continue; // released meanwhile: try again
      if (found.holder) {
        if (!isStale(found.holder, file)) throw inUse(found.holder);
      } else if (Date.now() - found.mtimeMs < settleMs) {
        await sleep(20); // being written by its creator
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Could not take over the stale lock ${file} in time.`);
      if (await removeStale(file, found.text)) tookOverFrom = found.holder;
      else await sleep(10 + Math.random() * 20); // another process is taking it over
    }
  }

  /** Deletes the lock file (if it is still this lock's); later calls do nothing. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (heldHere.get(this.file) === this) heldHere.delete(this.file);
    try {
      await removeIf(this.file, this.record.text);
    } finally {
      ownedHere.delete(this.file);
    }
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Creates `file` holding a fresh record for this process, or returns undefined if it exists. */
async function createExclusive(file: string): Promise<LockRecord | undefined> {
  const holder: LockHolder & { id: string } = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    id: randomUUID(),
  };
  const text = `${JSON.stringify(holder)}\n`;
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return undefined;
    throw error;
  }
  ownedHere.add(file); // before any await: this process must not take its own half-written file for stale
  try {
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    ownedHere.delete(file);
    throw error;
  }
  return { holder, text };
}

/** The file's contents and the record in them; undefined if there is no such file. */
async function read(file: string): Promise<Found | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const [text, stat] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    return { text, holder: parse(text), mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

function parse(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (
      Number.isSafeInteger(value.pid) &&
      (value.pid as number) > 0 &&
      typeof value.hostname === 'string' &&
      typeof value.startedAt === 'string'
    )
      return { pid: value.pid as number, hostname: value.hostname, startedAt: value.startedAt };
  } catch {
    // not a record
  }
  return undefined;
}

/** Whether the process named in `file` (a lock or a marker) is known to be gone. */
function isStale(holder: LockHolder, file: string): boolean {
  if (holder.hostname !== hostname()) return false;
  if (holder.pid === process.pid) return !ownedHere.has(file);
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH'; // EPERM: it runs, as another user
  }
}

const markerFor = (file: string, text: string) =>
  `${file}.takeover-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;

/**
 * Deletes `file` if it still holds exactly `text`, as the one process entitled to: the creator of
 * its takeover marker. Returns whether this call deleted it; false when another process is on it.
 */
async function removeStale(file: string, text: string): Promise<boolean> {
  const marker = markerFor(file, text);
  const record = await createExclusive(marker);
  if (!record) {
    const found = await read(marker);
    if (!found) return false;
    const abandoned = found.holder
      ? isStale(found.holder, marker) || Date.now() - Date.parse(found.holder.startedAt) > MARKER_MAX_AGE_MS
      : Date.now() - found.mtimeMs > MARKER_MAX_AGE_MS;
    if (abandoned) await removeStale(marker, found.text);
    return false;
  }
  try {
    return await removeIf(file, text);
  } finally {
    await removeIf(marker, record.text).finally(() => ownedHere.delete(marker));
  }
}

/** Deletes `file` if it holds exactly `text`. */
async function removeIf(file: string, text: string): Promise<boolean> {
  const found = await read(file);
  if (found?.text !== text) return false;
  try {
    await unlink(file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
