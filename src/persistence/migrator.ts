import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { logger } from '../shared/logger';
import { projectRoot } from '../shared/projectRoot';

export const MIGRATIONS_DIR = path.join(projectRoot, 'prisma', 'migrations');
/** The embedded default's migrations (SQLite), for prisma/sqlite/schema.prisma. */
export const SQLITE_MIGRATIONS_DIR = path.join(projectRoot, 'prisma', 'sqlite', 'migrations');

/** Any constant: it only has to be the same on every node that migrates this database. */
const MIGRATION_LOCK_KEY = 7_262_015;

/**
 * Applies prisma/migrations/<name>/migration.sql in name order, each in its own transaction,
 * recording them in Prisma's own `_prisma_migrations` table (same columns, same sha256 checksum),
 * so `prisma migrate deploy` and `prisma migrate status` agree with us wherever Prisma's native
 * schema engine is available. We apply them ourselves because that engine cannot be downloaded
 * here, and Prisma 6's Wasm engine fails to migrate PostgreSQL (see docs/persistence.md).
 * A session advisory lock serialises several nodes starting at once.
 */
export async function applyMigrations(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const checksums = new Map(done.rows.map((row) => [row.migration_name, row.checksum]));
    for (const name of names) {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const known = checksums.get(name);
      if (known !== undefined) {
        if (known !== checksum) logger.warn({ migration: name }, 'applied migration was edited afterwards');
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), checksum, name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(name);
      logger.info({ migration: name }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/**
 * The same for the embedded SQLite database (prisma/sqlite/migrations, Prisma's layout and its
 * `_prisma_migrations` table as Prisma creates it on SQLite), on a connection of its own before the
 * Prisma client opens the file. The DATA_DIR lock already keeps any other process away.
 */
export function applySqliteMigrations(db: BetterSqlite3.Database, dir = SQLITE_MIGRATIONS_DIR): string[] {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`);
  const done = db
    .prepare(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    )
    .all() as Array<{ migration_name: string; checksum: string }>;
  const checksums = new Map(done.map((row) => [row.migration_name, row.checksum]));
  const record = db.prepare(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
     VALUES (?, ?, ?, ?, 1)`,
  );
  const applied: string[] = [];
  for (const name of names) {
    const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    const known = checksums.get(name);
    if (known !== undefined) {
      if (known !== checksum) logger.warn({ migration: name }, 'applied migration was edited afterwards');
      continue;
    }
    try {
      db.transaction(() => {
        db.exec(sql);
        record.run(randomUUID(), checksum, name, Date.now());
      })();
    } catch (error) {
      throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
    }
    applied.push(name);
    logger.info({ migration: name }, 'migration applied');
  }
  return applied;
}
