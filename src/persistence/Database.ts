import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import type { PrismaClient } from '@prisma/client';
import { PrismaClient as SqlitePrismaClient } from '.prisma/sqlite-client';
import BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { logger } from '../shared/logger';
import { DataDirLock } from './DataDirLock';
import { type SchemaUse, SchemaUseLock } from './SchemaUseLock';
import { applyMigrations, applySqliteMigrations } from './migrator';
import { postgresExecutor, type SqlExecutor, sqliteExecutors } from './SqlExecutor';

export type DatabaseOptions =
  | {
      kind: 'postgresql';
      url: string;
      /** Retry the first connection this long (default 10 s). */ connectTimeoutMs?: number;
      /** A server alone (the default) or a cluster node: see SchemaUseLock. */
      use?: SchemaUse;
    }
  | { kind: 'embedded'; dataDir: string };

/** The PostgreSQL server of DATABASE_URL did not answer at start: one sentence, no stack. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (is PostgreSQL running there?)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  '28P01': 'the password was refused',
  '28000': 'the user was refused',
  '3D000': 'the database does not exist',
};

/** Connects once, retrying what may pass (a server still starting) until `timeoutMs`. */
async function firstConnection(pool: pg.Pool, url: URL, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const where = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  for (let attempt = 1; ; attempt++) {
    try {
      (await pool.connect()).release();
      return;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      const lasting = code.startsWith('28') || code === '3D000' || code === 'ENOTFOUND';
      if (lasting || Date.now() + 500 > deadline) {
        await pool.end().catch(() => undefined);
        const reason = REASONS[code] ?? (error as Error).message;
        const waited = lasting ? '' : ` (tried for ${Math.round(timeoutMs / 1000)} s)`;
        throw new DatabaseUnreachableError(
          `Could not connect to the PostgreSQL server at ${where}: ${reason}${waited}; check DATABASE_URL.`,
        );
      }
      if (attempt === 1) logger.warn({ database: where, code }, 'database not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 2000)));
    }
  }
}

/** Which SQL dialect the client speaks: repositories differ only where Prisma does (see appendRows). */
export type Provider = 'postgresql' | 'sqlite';

/** The embedded database's file inside DATA_DIR (an older PGlite database stays in DATA_DIR/pglite). */
export const SQLITE_FILE = 'sfu.sqlite';

/**
 * One open database: a Prisma client for reads and foreground writes, one for background writes
 * (its own connections on PostgreSQL, so batches of history never queue in front of a read), and
 * what serves them: a PostgreSQL pool, or for the embedded default a SQLite file in DATA_DIR
 * (better-sqlite3, in process, WAL mode).
 *
 * The SQLite client is generated from prisma/sqlite/schema.prisma, itself derived from the PostgreSQL
 * schema: the same models and the same query API, so repositories take it as the PostgreSQL client's
 * type (`PrismaClient`) and share one code path.
 */
export class Database {
  #closed = false;

  private constructor(
    readonly kind: DatabaseOptions['kind'],
    readonly provider: Provider,
    /** No other process writes rooms here (DATA_DIR lock, or the schema lock of a server alone). */
    readonly soleWriter: boolean,
    /** Reads and writes a request waits for. */
    readonly prisma: PrismaClient,
    /** Writes a request waits for (room creation), through the driver: see SqlExecutor. */
    readonly sql: SqlExecutor,
    /** Background writes (RetryingWriter batches), through the driver: on PostgreSQL, connections of their own. */
    readonly writer: SqlExecutor,
    private readonly pingDatabase: () => Promise<void>,
    private readonly onClose: () => Promise<void>,
  ) {}

  /**
   * How long background writers gather items before they write (RetryPolicy.batchDelayMs). On
   * PostgreSQL each statement is a round trip on loopback TCP whose send (~60 µs of the event loop
   * measured here) wakes a backend that shares the cores, whatever the statement holds: under the
   * sequential join benchmark the joins' and leaves' event and stay writes, started as each answer
   * left, cost the next join ~0.7 ms (3.8 ms p50 with them, 3.1 ms with writes turned off); 5 ms of
   * gathering puts a room's joins in one statement per table: p50 3.6 -> 3.3 ms, ratio to the bare
   * server 1.46 -> 1.29 and 1.32 (2026-12-03). SQLite commits what one turn of the event loop asked
   * for together already (SqliteWriteQueue), in process.
   */
  get backgroundBatchDelayMs(): number {
    return this.provider === 'postgresql' ? 5 : 0;
  }

  /** Opens (creating the embedded one if needed) and brings the schema up to date. */
  static async open(options: DatabaseOptions): Promise<Database> {
    if (options.kind === 'postgresql')
      return Database.#openPostgres(options.url, options.connectTimeoutMs ?? 10_000, options.use ?? 'alone');
    return Database.#openEmbedded(options.dataDir);
  }

  static async #openPostgres(
    connectionUrl: string,
    connectTimeoutMs: number,
    use: SchemaUse,
  ): Promise<Database> {
    // `?schema=` is Prisma's URL convention; pg does not know it, so it becomes the search_path.
    const url = new URL(connectionUrl);
    const schema = url.searchParams.get('schema') ?? 'public';
    url.searchParams.delete('schema');
    const poolOptions = { connectionString: url.toString(), options: `-c search_path="${schema}"` };
    // Loaded here, not with this module: the embedded default has no use for PostgreSQL's driver
    // and Prisma client, and they are ~8 MB of an idle server's memory.
    const [{ default: pg }, { PrismaPg }, { PrismaClient }] = await Promise.all([
      import('pg'),
      import('@prisma/adapter-pg'),
      import('@prisma/client'),
    ]);
    const pool = new pg.Pool({ ...poolOptions, max: 10 });
    const writerPool = new pg.Pool({ ...poolOptions, max: 2 });
    for (const p of [pool, writerPool])
      // An idle client that errors (server restart) must not crash the process; the pool replaces it.
      p.on('error', (error) => logger.warn({ err: error }, 'database connection error'));
    let lock: SchemaUseLock | undefined;
    const end = async () => {
      await Promise.allSettled([pool.end(), writerPool.end(), lock?.release()]);
    };
    try {
      await firstConnection(pool, url, connectTimeoutMs);
      if (schema !== 'public') {
        // Nodes starting together race on IF NOT EXISTS: the loser's unique violation means it exists.
        await pool
          .query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`)
          .catch((error: { code?: string }) => {
            if (error.code !== '23505' && error.code !== '42P06') throw error;
          });
      }
      await applyMigrations(pool);
      lock = await SchemaUseLock.acquire(poolOptions, schema, use);
    } catch (error) {
      await end();
      throw error;
    }
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
    return new Database(
      'postgresql',
      'postgresql',
      use === 'alone',
      prisma,
      postgresExecutor(pool),
      postgresExecutor(writerPool),
      async () => {
        await pool.query('SELECT 1');
      },
      async () => {
        await prisma.$disconnect().catch(() => undefined);
        await end();
      },
    );
  }

  static async #openEmbedded(dataDir: string): Promise<Database> {
    // One server per directory: two processes writing the same database file behind each other's
    // backs is what the lock is for (and what keeps the registry the one owner of live rooms).
    const lock = await DataDirLock.acquire(dataDir);
    if (lock.tookOverFrom)
      logger.warn(
        { dataDir, previous: lock.tookOverFrom },
        'took over the lock of the embedded database from a server that no longer runs',
      );
    const file = path.join(dataDir, SQLITE_FILE);
    let prisma: SqlitePrismaClient | undefined;
    try {
      await mkdir(dataDir, { recursive: true });
      if (!existsSync(file) && existsSync(path.join(dataDir, 'pglite')))
        logger.warn(
          { dataDir, file },
          'DATA_DIR holds a database of an earlier version (PGlite, in DATA_DIR/pglite): it is left as it was, ' +
            'and this server starts a new embedded database (see README, Persistence)',
        );
      const migrating = new BetterSqlite3(file);
      try {
        // WAL: readers never wait for a writer, and a commit appends to the log instead of
        // rewriting pages (persistent: it is a property of the file).
        migrating.pragma('journal_mode = WAL');
        applySqliteMigrations(migrating);
      } finally {
        migrating.close();
      }
      // Prisma connects at its first query (reads of history, moderation, rooms not in memory),
      // not here: its query compiler takes ~20 MB of memory once loaded, and an idle server on
      // the embedded default has no use for it (hot writes and open rooms need no Prisma).
      prisma = new SqlitePrismaClient({
        adapter: new PragmaSettingSqliteAdapter({ url: `file:${file}`, timeout: 5000 }),
      });
    } catch (error) {
      await prisma?.$disconnect().catch(() => undefined);
      await lock.release();
      throw error;
    }
    const client = prisma as unknown as PrismaClient;
    // The hot writes' own connection to the same file (WAL: readers and writers do not block each
    // other). No busy timeout: see sqliteExecutor.
    const direct = new BetterSqlite3(file, { timeout: 0 });
    setConnectionPragmas(direct);
    const sql = sqliteExecutors(direct);
    return new Database(
      'embedded',
      'sqlite',
      true,
      client,
      sql.foreground,
      sql.background,
      async () => {
        await client.$queryRawUnsafe('SELECT 1');
      },
      async () => {
        try {
          // Writes asked for in this turn of the event loop are committed, not dropped.
          sql.commitPending();
          direct.close();
          await client.$disconnect();
        } finally {
          // Only once the file is closed may another server open it.
          await lock.release();
        }
      },
    );
  }

  async ping(): Promise<void> {
    await this.pingDatabase();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.onClose();
  }
}

/**
 * Per connection. NORMAL in WAL mode: a commit survives a process crash (SIGKILL), and only an OS
 * crash or power loss may take the last commits back; no fsync on every commit. Foreign keys are
 * off in SQLite unless asked for.
 */
function setConnectionPragmas(connection: BetterSqlite3.Database): void {
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
}

/** Prisma's better-sqlite3 adapter, with our pragmas set on its connection as it opens. */
class PragmaSettingSqliteAdapter extends PrismaBetterSQLite3 {
  override async connect(): ReturnType<PrismaBetterSQLite3['connect']> {
    const adapter = await super.connect();
    setConnectionPragmas((adapter as unknown as { client: BetterSqlite3.Database }).client);
    return adapter;
  }
}
