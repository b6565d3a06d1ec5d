import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sqliteExecutors } from '../../src/persistence/SqlExecutor';

/** The embedded database's write path on a real SQLite file, with a second connection as Prisma's. */
describe('sqliteExecutors', () => {
  let dir: string;
  let writer: Database.Database;
  let other: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sqlite-executor-'));
    const file = path.join(dir, 'db.sqlite');
    writer = new Database(file, { timeout: 0 });
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    other = new Database(file, { timeout: 0 });
  });

  afterEach(() => {
    writer.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Frames in the write-ahead log: each commit appends the pages it changed (here, one or two). */
  const walFrames = () => (writer.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;

  test('the writes of one turn of the event loop are committed together, each with its own result', async () => {
    const sql = sqliteExecutors(writer).background;
    writer.pragma('wal_autocheckpoint = 0');
    const before = walFrames();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, `row ${i}`])),
    );
    expect(results).toEqual(Array(20).fill(1));
    expect(other.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 20 });
    // One commit: the table's page once (20 commits of one row each would append 20 frames or more).
    expect(walFrames() - before).toBeLessThanOrEqual(2);
  });

  test('a write that fails alone rejects alone: the others of its batch are stored', async () => {
    const sql = sqliteExecutors(writer).background;
    const outcomes = await Promise.allSettled([
      sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'a']),
      sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'duplicate']),
      sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [2, null]),
      sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [3, 'c']),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(other.prepare('SELECT id, v FROM t ORDER BY id').all()).toEqual([
      { id: 1, v: 'a' },
      { id: 3, v: 'c' },
    ]);
  });

  test('a read sees the writes asked for before it, even not awaited', async () => {
    const sql = sqliteExecutors(writer).background;
    const written = sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [7, 'seven']);
    expect(await sql.query('SELECT v FROM t WHERE id = ?', [7])).toEqual([{ v: 'seven' }]);
    await expect(written).resolves.toBe(1);
  });

  test('a foreground write runs at once, after the background writes asked for before it', async () => {
    const { foreground, background } = sqliteExecutors(writer);
    const queued = background.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'background']);
    const now = foreground.run('UPDATE t SET v = ? WHERE id = ?', ['foreground', 1]);
    // Stored before the turn ends (a request waiting for it does not wait for the rest of the turn).
    expect(other.prepare('SELECT v FROM t WHERE id = 1').get()).toEqual({ v: 'foreground' });
    await expect(queued).resolves.toBe(1);
    await expect(now).resolves.toBe(1);
  });

  test('closing commits what waits for the end of the turn', async () => {
    const executors = sqliteExecutors(writer);
    const written = executors.background.run('INSERT INTO t (id, v) VALUES (?, ?)', [9, 'nine']);
    executors.commitPending();
    await expect(written).resolves.toBe(1);
    expect(other.prepare('SELECT v FROM t WHERE id = 9').get()).toEqual({ v: 'nine' });
  });

  // Before the group commit, a busy write was retried on its own and a later one could overtake it.
  test('while the other connection holds a write transaction, writes wait for it, in order, and are stored once', async () => {
    const sql = sqliteExecutors(writer).background;
    other.prepare('BEGIN IMMEDIATE').run();
    other.prepare("INSERT INTO t (id, v) VALUES (50, 'prisma')").run();
    const first = sql.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'first']);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = sql.run('UPDATE t SET v = ? WHERE id = ?', ['second', 1]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(writer.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
    other.prepare('COMMIT').run();
    await expect(first).resolves.toBe(1);
    await expect(second).resolves.toBe(1);
    expect(other.prepare('SELECT id, v FROM t ORDER BY id').all()).toEqual([
      { id: 1, v: 'second' },
      { id: 50, v: 'prisma' },
    ]);
  });
});
