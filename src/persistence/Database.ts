import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import pg from 'pg';
import { logger } from '../shared/logger';
import { DataDirLock } from './DataDirLock';
import { applyMigrations } from './migrator';

export type DatabaseOptions =
  | {
      kind: 'postgresql';
      url: string;
      /** Retry the first connection this long (default 10 s). */ connectTimeoutMs?: number;
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

/**
 * One open database: a pg pool (used for migrations and health), the Prisma client on top of
 * it, and for the embedded default the in-process PostgreSQL (PGlite) that serves them.
 */
export class Database {
  #closed = false;

  private constructor(
    readonly kind: DatabaseOptions['kind'],
    readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    private readonly onClose: () => Promise<void>,
  ) {}

  /** Opens (creating the embedded one if needed) and brings the schema up to date. */
  static async open(options: DatabaseOptions): Promise<Database> {
    if (options.kind === 'postgresql') {
      // `?schema=` is Prisma's URL convention; pg does not know it, so it becomes the search_path.
      const url = new URL(options.url);
      const schema = url.searchParams.get('schema') ?? 'public';
      url.searchParams.delete('schema');
      const pool = new pg.Pool({
        connectionString: url.toString(),
        max: 10,
        options: `-c search_path="${schema}"`,
      });
      await firstConnection(pool, url, options.connectTimeoutMs ?? 10_000);
      if (schema !== 'public')
        await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
      return Database.#finishOpen('postgresql', pool, schema, async () => undefined);
    }
    return Database.#openEmbedded(options.dataDir);
  }

  static async #openEmbedded(dataDir: string): Promise<Database> {
    // One server per directory: two PGlite instances on the same files each keep their own view,
    // and the last to close silently overwrites what the other wrote.
    const lock = await DataDirLock.acquire(dataDir);
    if (lock.tookOverFrom)
      logger.warn(
        { dataDir, previous: lock.tookOverFrom },
        'took over the lock of the embedded database from a server that no longer runs',
      );
    let pglite: PGlite | undefined;
    let socketDir: string | undefined;
    let socketServer: PGLiteSocketServer | undefined;
    try {
      pglite = await PGlite.create(path.join(dataDir, 'pglite'));
      // Served on a private Unix socket so Prisma's ordinary pg adapter talks to it: the embedded
      // default and a PostgreSQL server then share one schema, one client and one code path.
      socketDir = await mkdtemp(path.join(tmpdir(), 'sfu-pg-'));
      socketServer = new PGLiteSocketServer({
        db: pglite,
        path: path.join(socketDir, '.s.PGSQL.5432'),
        maxConnections: 8,
      });
      await socketServer.start();
    } catch (error) {
      await socketServer?.stop().catch(() => undefined);
      await pglite?.close().catch(() => undefined);
      if (socketDir) await rm(socketDir, { recursive: true, force: true }).catch(() => undefined);
      await lock.release();
      throw error;
    }
    // One connection: PGlite runs one query at a time anyway, and with several connections its socket
    // server was seen to lose a reply under concurrent queries (a query then never completes).
    const pool = new pg.Pool({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres', max: 1 });
    const [db, server, dir] = [pglite, socketServer, socketDir];
    return Database.#finishOpen('embedded', pool, 'public', async () => {
      try {
        await server.stop();
      } finally {
        await db.close();
        // Only once PGlite has closed its files may another server open them (if closing failed,
        // the lock stays until this process exits, and is then stale).
        await lock.release();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  static async #finishOpen(
    kind: DatabaseOptions['kind'],
    pool: pg.Pool,
    schema: string,
    closeServer: () => Promise<void>,
  ) {
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on('error', (error) => logger.warn({ err: error }, 'database connection error'));
    try {
      await applyMigrations(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      await closeServer().catch(() => undefined);
      throw error;
    }
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
    return new Database(kind, prisma, pool, closeServer);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.prisma.$disconnect();
    await this.pool.end();
    await this.onClose();
  }
}
