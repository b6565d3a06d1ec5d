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

export type DatabaseOptions = { kind: 'postgresql'; url: string } | { kind: 'embedded'; dataDir: string };

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
