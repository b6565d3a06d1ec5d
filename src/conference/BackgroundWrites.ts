import type { BackgroundWriter, WriterRegistry } from './RetryingWriter';

/** What /healthz and the metrics say about writes the database has not taken yet. */
export interface BackgroundWritesStatus {
  /** `ok`: everything is being stored; `retrying`: the database refuses writes and they wait; `dropping`: some were refused for lack of room. */
  status: 'ok' | 'retrying' | 'dropping';
  pending: number;
  /** Items refused since start because a writer was full (each one logged). */
  dropped: number;
  /** Writers (rooms' event logs, sessions, quality samples) with something pending. */
  writers: number;
  /** Since when the oldest failing writer has been failing. */
  failingSince: Date | null;
  lastError: string | null;
}

/** How long after the last drop the health report keeps saying `dropping`. */
const DROPPING_REPORTED_MS = 60_000;

/** Every background writer of the process (rooms' event logs, sessions, quality samples). */
export class BackgroundWrites implements WriterRegistry {
  readonly #writers = new Set<BackgroundWriter>();
  #dropped = 0;
  #lastDropAt = 0;

  register(writer: BackgroundWriter): void {
    this.#writers.add(writer);
  }

  unregister(writer: BackgroundWriter): void {
    this.#writers.delete(writer);
  }

  countDropped(_name: string, count: number): void {
    this.#dropped += count;
    this.#lastDropAt = Date.now();
  }

  /** Writers registered now (leak checks: a closed room's log leaves once it is stored). */
  get size(): number {
    return this.#writers.size;
  }

  status(): BackgroundWritesStatus {
    let pending = 0;
    let writers = 0;
    let failingSince: Date | null = null;
    let lastError: string | null = null;
    for (const writer of this.#writers) {
      const status = writer.status();
      pending += status.pending;
      if (status.pending > 0) writers++;
      if (status.failingSince && (!failingSince || status.failingSince < failingSince)) {
        failingSince = status.failingSince;
        lastError = status.lastError;
      }
    }
    const dropping = this.#dropped > 0 && Date.now() - this.#lastDropAt < DROPPING_REPORTED_MS;
    return {
      status: dropping ? 'dropping' : failingSince ? 'retrying' : 'ok',
      pending,
      dropped: this.#dropped,
      writers,
      failingSince,
      lastError,
    };
  }

  /** Resolves once everything pushed so far to any writer is stored. */
  async flush(): Promise<void> {
    await Promise.all([...this.#writers].map((writer) => writer.flush()));
  }

  /** Shutdown: gives up what the database never took (reported by each writer). */
  stop(): void {
    for (const writer of [...this.#writers]) writer.stop();
  }
}
