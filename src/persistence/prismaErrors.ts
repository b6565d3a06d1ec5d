/**
 * Prisma's error classes are per generated client (PostgreSQL and SQLite each bundle their runtime),
 * so errors are recognised by their code, not with instanceof.
 */
export const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === 'P2002' &&
  (error as { name?: unknown }).name === 'PrismaClientKnownRequestError';

/**
 * (SQLite's client refuses the skipDuplicates argument even when false: pass it only on PostgreSQL.)
 *
 * Inserts rows, keeping what is already stored under the same key: a batch retried after a lost reply
 * stores nothing twice. PostgreSQL: one `INSERT … ON CONFLICT DO NOTHING` (createMany with
 * skipDuplicates). SQLite, where Prisma has no skipDuplicates: one multi-row INSERT, and only when
 * part of it is stored already, row by row in one transaction with upserts that change nothing.
 */
export async function appendIgnoringDuplicates<Row>(
  provider: 'postgresql' | 'sqlite',
  rows: readonly Row[],
  insert: (rows: Row[], skipDuplicates: boolean) => Promise<unknown>,
  insertEach: (rows: Row[]) => Promise<unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  if (provider === 'postgresql') {
    await insert([...rows], true);
    return;
  }
  try {
    await insert([...rows], false);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    await insertEach([...rows]);
  }
}
