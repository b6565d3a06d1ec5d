import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { Provider } from './Database';
import { SqliteWriteQueue } from './SqliteWriteQueue';

/**
 * Runs one SQL statement with parameters on the database's own driver and resolves with the rows
 * it changed: the hot writes (room creation, event batches, session starts and ends, quality
 * samples) go through it rather than through Prisma. Prisma builds and compiles a query plan for
 * every query (its query compiler, in WebAssembly), raw ones included, and under the join benchmark
 * that was more CPU than the database spent storing, on the thread that answers joins.
 * Statements are written once for both engines (see rawInsert); only the placeholders differ.
 */
export interface SqlExecutor {
  readonly provider: Provider;
  run(sql: string, params: readonly unknown[]): Promise<number>;
  /** A read: the rows as the driver gives them (see `rowValues` for what differs between engines). */
  query(sql: string, params: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** A timestamp column's value: a Date from pg, ISO text from SQLite. */
export const dateOf = (value: unknown): Date | null =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(String(value));

/** A boolean column's value: a boolean from pg, 0/1 from SQLite. */
export const booleanOf = (value: unknown): boolean => value === true || value === 1 || value === 1n;

/** A JSON column's value: parsed by pg, text from SQLite. */
export const jsonOf = (value: unknown): unknown =>
  typeof value === 'string' ? (JSON.parse(value) as unknown) : (value ?? null);

/** PostgreSQL: a pool of its own or shared; `pg` converts dates, booleans and numbers itself. */
export function postgresExecutor(pool: pg.Pool): SqlExecutor {
  return {
    provider: 'postgresql',
    run: async (sql, params) => (await pool.query(sql, params as unknown[])).rowCount ?? 0,
    query: async (sql, params) => (await pool.query(sql, params as unknown[])).rows,
  };
}

/** Prepared statements kept per SQL text (batches of a few sizes repeat). */
const MAX_STATEMENTS = 500;

/** How long a statement may wait, in all, for a write transaction of the Prisma connection to end. */
const SQLITE_BUSY_WAIT_MS = 5_000;

/**
 * SQLite (in process): values converted as Prisma's better-sqlite3 adapter converts them, so rows
 * written here read back through Prisma unchanged (dates as ISO 8601 text with +00:00, booleans as
 * 0/1). Every better-sqlite3 call is synchronous, on the thread that answers joins, and what a
 * write costs is mostly its commit (42 µs for a one-row INSERT measured alone, 124 µs per event
 * under the events benchmark; the row itself a few µs). Hence two executors on one connection:
 * - `background` (RetryingWriter batches: events, stays, quality samples) commits together the
 *   writes asked for in one turn of the event loop (see SqliteWriteQueue);
 * - `foreground` (a write a request waits for: room creation) runs at once, as a request should
 *   not wait for the end of a busy turn; what the background queue holds is committed first, so
 *   writes reach the file in the order they were asked for. Reads do the same.
 * The connection must not wait for locks itself (busy timeout 0): a transaction Prisma keeps open
 * across awaits on its own connection would then never end, the thread being blocked. A busy write
 * is tried again after a pause instead.
 */
export function sqliteExecutors(connection: BetterSqlite3.Database): {
  foreground: SqlExecutor;
  background: SqlExecutor;
  /** Commits what waits for the end of this turn (before closing). */
  commitPending(): void;
} {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = connection.prepare(sql);
      if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value as string);
      statements.set(sql, statement);
    }
    return statement;
  };
  const writes = new SqliteWriteQueue(
    connection,
    (sql, values) => prepared(sql).run(...values).changes,
    SQLITE_BUSY_WAIT_MS,
  );
  const runNow = async (sql: string, params: readonly unknown[]): Promise<number> => {
    const values = params.map(toSqlite);
    for (let waited = 0, pause = 2; ; waited += pause, pause = Math.min(pause * 2, 100)) {
      try {
        writes.commitNow();
        return prepared(sql).run(...values).changes;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || waited >= SQLITE_BUSY_WAIT_MS) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  };
  const query = (sql: string, params: readonly unknown[]) => {
    try {
      // A read sees every write asked for before it, as when each write ran at once.
      writes.commitNow();
      return Promise.resolve(prepared(sql).all(...params.map(toSqlite)) as Array<Record<string, unknown>>);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    foreground: { provider: 'sqlite', run: runNow, query },
    background: {
      provider: 'sqlite',
      run: (sql, params) => writes.run(sql, params.map(toSqlite)),
      query,
    },
    commitPending: () => writes.commitNow(),
  };
}

function toSqlite(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace('Z', '+00:00');
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value ?? null;
}
