import type { SqlExecutor } from './SqlExecutor';

/** A column of a raw insert; `json` ones take any JSON value (or null) and are stored as the JSON column type. */
export interface Column {
  name: string;
  json?: boolean;
}

/**
 * Inserts rows in one statement, keeping what is already stored under the same key
 * (`INSERT … ON CONFLICT DO NOTHING`, the same SQL on PostgreSQL and SQLite): a batch retried after
 * a lost reply stores nothing twice. Resolves with how many rows were new. Through the driver, not
 * Prisma (see SqlExecutor); rows read back through Prisma as if it had written them.
 */
export async function insertIgnoringDuplicates(
  sql: SqlExecutor,
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
      if (sql.provider === 'sqlite') return '?';
      return column.json ? `CAST($${values.length} AS jsonb)` : `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  const names = columns.map((column) => `"${column.name}"`).join(', ');
  return sql.run(
    `INSERT INTO "${table}" (${names}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`,
    values,
  );
}
