import { DomainError, ErrorCode } from '../shared/errors';

/** A rate limit: throws RATE_LIMITED (a shared, cluster-wide one answers asynchronously). */
export interface Limiter {
  take(key: string): void | Promise<void>;
}

/**
 * A token bucket per key (a client address): `ratePerSecond` sustained, bursts of the same size.
 * Buckets that have refilled are dropped on the next sweep, so idle addresses cost nothing.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();
  #lastSweep = Date.now();

  constructor(
    private readonly ratePerSecond: number,
    private readonly what: string,
    /** Who the limit is counted for, as the error says it. */
    private readonly per = 'from your address',
  ) {}

  /** Takes one token for `key`; throws RATE_LIMITED when there is none. A rate of 0 never limits. */
  take(key: string, now = Date.now()): void {
    if (this.ratePerSecond <= 0) return;
    this.#sweep(now);
    const bucket = this.#buckets.get(key) ?? { tokens: this.ratePerSecond, updatedAt: now };
    bucket.tokens = Math.min(
      this.ratePerSecond,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSecond,
    );
    bucket.updatedAt = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(key, bucket);
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many ${this.what} ${this.per}: at most ${this.ratePerSecond} per second.`,
        { retryAfterMs: Math.ceil(((1 - bucket.tokens) / this.ratePerSecond) * 1000) },
      );
    }
    bucket.tokens -= 1;
    this.#buckets.set(key, bucket);
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 10_000) return;
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSecond >= this.ratePerSecond) {
        this.#buckets.delete(key);
      }
    }
  }
}
