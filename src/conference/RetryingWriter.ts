import { logger } from '../shared/logger';

/** How a writer retries and how much it may hold while the database is away. */
export interface RetryPolicy {
  /** First wait after a failed write; doubled after each further failure, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Items held at most; past it new items are refused, counted and reported (never silently). */
  maxPending: number;
  /** Items written in one call at most. */
  maxBatch: number;
  /**
   * How long an idle writer waits for more items before it writes (0: what was pushed in the same
   * synchronous run). A write over a network connection costs a round trip and the server's work
   * per statement whatever it holds: see Database.backgroundBatchDelayMs. `flush()` does not wait.
   */
  batchDelayMs?: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  maxPending: 50_000,
  maxBatch: 200,
});

export interface WriterStatus {
  name: string;
  /** Items not stored yet. */
  pending: number;
  /** Items refused because the writer was full. */
  dropped: number;
  /** Since when writes have been failing (null while they succeed). */
  failingSince: Date | null;
  lastError: string | null;
}

/** A writer as its registry sees it. */
export interface BackgroundWriter {
  status(): WriterStatus;
  flush(): Promise<void>;
  stop(): void;
}

/** Where writers report, so one place (health, metrics) sees every background write. */
export interface WriterRegistry {
  register(writer: BackgroundWriter): void;
  unregister(writer: BackgroundWriter): void;
  countDropped(name: string, count: number): void;
}

/**
 * Stores items in the order they were pushed, in batches, and never gives one up: a failed batch is
 * tried again (with backoff) until the database takes it. Writes must therefore be idempotent (a
 * batch whose reply was lost is written again). Items stay readable (`unwritten`) until stored, so a
 * reader can merge what is stored with what is still on its way.
 */
export class RetryingWriter<T> implements BackgroundWriter {
  readonly #items: T[] = [];
  #pushed = 0;
  #written = 0;
  #dropped = 0;
  #running = false;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #wakeRetry: (() => void) | undefined;
  #failingSince: Date | null = null;
  #lastError: string | null = null;
  readonly #flushes: Array<{ upTo: number; resolve: () => void }> = [];

  constructor(
    readonly name: string,
    private readonly write: (batch: readonly T[]) => Promise<void>,
    private readonly registry: WriterRegistry | null = null,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {
    registry?.register(this);
  }

  /** Queues an item; returns false (and says so in the logs and the health report) when full. */
  push(item: T): boolean {
    if (this.#items.length >= this.policy.maxPending) {
      this.#dropped++;
      this.registry?.countDropped(this.name, 1);
      if (this.#dropped === 1 || this.#dropped % 1000 === 0) {
        logger.error(
          { writer: this.name, dropped: this.#dropped, pending: this.#items.length },
          'the database has been unreachable for too long: background writes are being dropped',
        );
      }
      return false;
    }
    this.#items.push(item);
    this.#pushed++;
    void this.#drain();
    return true;
  }

  /** Items pushed and not stored yet, oldest first (a copy). */
  get unwritten(): readonly T[] {
    return [...this.#items];
  }

  get pending(): number {
    return this.#items.length;
  }

  status(): WriterStatus {
    return {
      name: this.name,
      pending: this.#items.length,
      dropped: this.#dropped,
      failingSince: this.#failingSince,
      lastError: this.#lastError,
    };
  }

  /** Resolves once everything pushed so far is stored (however long the database takes). */
  flush(): Promise<void> {
    if (this.#written >= this.#pushed || this.#stopped) return Promise.resolve();
    const upTo = this.#pushed;
    // Waiting for a write should not wait for the rest of a backoff: try again now.
    this.#wakeRetry?.();
    return new Promise((resolve) => this.#flushes.push({ upTo, resolve }));
  }

  /**
   * Stops writing (process shutdown): what is still pending is reported and given up, and pending
   * flushes resolve. A writer whose items are all stored just leaves the registry.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wakeRetry?.();
    if (this.#items.length > 0) {
      logger.error(
        { writer: this.name, pending: this.#items.length, lastError: this.#lastError },
        'stopping with writes the database never took',
      );
    }
    this.registry?.unregister(this);
    for (const flush of this.#flushes.splice(0)) flush.resolve();
  }

  /** Leaves the registry once everything is stored (a closed room's log, for instance). */
  async retire(): Promise<void> {
    await this.flush();
    if (!this.#stopped) {
      this.#stopped = true;
      this.registry?.unregister(this);
    }
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    let delay = this.policy.initialDelayMs;
    try {
      // What is pushed in the same synchronous run goes in one batch: a join records
      // PARTICIPANT_JOINED and STREAM_PUBLISHED together, and on SQLite (synchronous) a write
      // started at once would take the first alone. One statement instead of two per join and leave.
      // With a delay, what comes within it joins them (flush() and stop() cut the wait short).
      if (this.policy.batchDelayMs) await this.#wait(this.policy.batchDelayMs);
      else await Promise.resolve();
      while (this.#items.length > 0 && !this.#stopped) {
        const batch = this.#items.slice(0, this.policy.maxBatch);
        try {
          await this.write(batch);
        } catch (error) {
          this.#failed(error);
          await this.#wait(delay);
          delay = Math.min(delay * 2, this.policy.maxDelayMs);
          continue;
        }
        delay = this.policy.initialDelayMs;
        this.#items.splice(0, batch.length);
        this.#written += batch.length;
        this.#recovered();
        while (this.#flushes.length > 0 && this.#flushes[0]!.upTo <= this.#written) {
          this.#flushes.shift()!.resolve();
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #failed(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message.slice(0, 300) : String(error);
    if (this.#failingSince) return;
    this.#failingSince = new Date();
    logger.warn(
      { writer: this.name, pending: this.#items.length, err: error },
      'a background database write failed; retrying until the database is back',
    );
  }

  #recovered(): void {
    if (!this.#failingSince) return;
    logger.info(
      { writer: this.name, failedForMs: Date.now() - this.#failingSince.getTime() },
      'background database writes recovered',
    );
    this.#failingSince = null;
    this.#lastError = null;
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = undefined;
        this.#wakeRetry = undefined;
        resolve();
      };
      this.#wakeRetry = wake;
      this.#retryTimer = setTimeout(wake, ms);
      this.#retryTimer.unref();
    });
  }
}
