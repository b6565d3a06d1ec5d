import type { PrismaClient } from '@prisma/client';
import type { Provider } from './Database';

/** A column of a raw insert; `json` ones take any JSON value (or null) and are stored as the JSON column type. */
export interface Column {
  name: string;
  json?: boolean;
}

/**
 * Inserts rows in one statement, keeping what is already stored under the same key
 * (`INSERT … ON CONFLICT DO NOTHING`, the same SQL on PostgreSQL and SQLite): a batch retried after
 * a lost reply stores nothing twice. Resolves with how many rows were new.
 *
 * Raw rather than `createMany`: Prisma compiles every query it builds (its query compiler runs in
 * WebAssembly), and a batch of a new size is a new query, so background writes of history spent more
 * CPU compiling than the database spent storing (10-15 % of the server's CPU under the join
 * benchmark, on the thread that also answers joins). A raw statement is passed through as written;
 * the adapters still convert dates and JSON as they do for the client's own queries.
 */
export async function insertIgnoringDuplicates(
  client: PrismaClient,
  provider: Provider,
  table: string,
  columns: readonly Column[],
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = columns.map((column, i) => {
      const value = row[i] ?? null;
      values.push(column.json && value !== null ? JSON.stringify(value) : value);
      if (provider === 'sqlite') return '?';
      return column.json ? `CAST($${values.length} AS jsonb)` : `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  const names = columns.map((column) => `"${column.name}"`).join(', ');
  return client.$executeRawUnsafe(
    `INSERT INTO "${table}" (${names}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`,
    ...values,
  );
}
