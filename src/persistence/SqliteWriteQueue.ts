import type BetterSqlite3 from 'better-sqlite3';

interface QueuedWrite {
  sql: string;
  values: unknown[];
  resolve: (changes: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: the writes asked for during one turn of the event loop run, in the order asked,
 * in one `BEGIN IMMEDIATE … COMMIT` at the end of the turn (setImmediate). Each write still gets
 * its own result: a statement that fails alone (a constraint) rejects alone, SQLite having undone
 * only that statement; a failure that ends the transaction (the commit's, or an I/O error that
 * rolled it back) rejects every write of the batch, none of which is stored, and callers retry
 * them (RetryingWriter; every background write is idempotent). SQLITE_BUSY on BEGIN (Prisma's
 * connection is writing) puts the batch back in front and tries again after a pause.
 */
export class SqliteWriteQueue {
  #queue: QueuedWrite[] = [];
  /** The commit at the end of this turn of the event loop, once a write is queued. */
  #turnEnd: NodeJS.Immediate | undefined;
  /** The next try after SQLITE_BUSY; new writes wait for it too. */
  #retry: NodeJS.Timeout | undefined;
  #busySince: number | undefined;
  #pause = 2;
  readonly #begin: BetterSqlite3.Statement;
  readonly #end: BetterSqlite3.Statement;
  readonly #rollback: BetterSqlite3.Statement;

  constructor(
    private readonly connection: BetterSqlite3.Database,
    private readonly execute: (sql: string, values: unknown[]) => number,
    /** How long a batch may wait, in all, for the other connection's write transaction. */
    private readonly busyWaitMs: number,
  ) {
    this.#begin = connection.prepare('BEGIN IMMEDIATE');
    this.#end = connection.prepare('COMMIT');
    this.#rollback = connection.prepare('ROLLBACK');
  }

  run(sql: string, values: unknown[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ sql, values, resolve, reject });
      if (this.#turnEnd === undefined && this.#retry === undefined) {
        this.#turnEnd = setImmediate(() => {
          this.#turnEnd = undefined;
          this.#commit();
        });
      }
    });
  }

  /** Commits what is queued at once (before a read); a busy database leaves it for the retry. */
  commitNow(): void {
    if (this.#queue.length === 0 || this.#retry !== undefined) return;
    clearImmediate(this.#turnEnd);
    this.#turnEnd = undefined;
    this.#commit();
  }

  #commit(): void {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      this.#begin.run();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return this.#retryLater(batch, error);
      for (const write of batch) write.reject(error);
      return;
    }
    this.#busySince = undefined;
    this.#pause = 2;
    const results: Array<{ changes: number } | { error: unknown }> = [];
    let aborted: unknown;
    for (const write of batch) {
      try {
        results.push({ changes: this.execute(write.sql, write.values) });
      } catch (error) {
        results.push({ error });
        // Some errors (I/O, a full disk) roll the whole transaction back.
        if (!this.connection.inTransaction) {
          aborted = error;
          break;
        }
      }
    }
    if (aborted === undefined) {
      try {
        this.#end.run();
      } catch (error) {
        aborted = error;
        if (this.connection.inTransaction) {
          try {
            this.#rollback.run();
          } catch {
            // The commit's error is the one to report; SQLite ends the transaction itself on close.
          }
        }
      }
    }
    batch.forEach((write, i) => {
      const result = results[i];
      if (aborted !== undefined) write.reject(aborted);
      else if (result && 'changes' in result) write.resolve(result.changes);
      else write.reject(result?.error);
    });
  }

  #retryLater(batch: QueuedWrite[], error: unknown): void {
    const now = Date.now();
    this.#busySince ??= now;
    if (now - this.#busySince >= this.busyWaitMs) {
      this.#busySince = undefined;
      this.#pause = 2;
      for (const write of batch) write.reject(error);
      return;
    }
    this.#queue = [...batch, ...this.#queue];
    clearImmediate(this.#turnEnd);
    this.#turnEnd = undefined;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#commit();
    }, this.#pause);
    this.#pause = Math.min(this.#pause * 2, 100);
  }
}
