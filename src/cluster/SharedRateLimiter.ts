import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../shared/errors';
import type { RedisLink } from './RedisLink';

/**
 * A rate limit counted once for the whole cluster (rate-limiter-flexible's Redis limiter): a
 * client cannot multiply its allowance by spreading its calls over nodes. While Redis is away, each
 * node counts on its own (the insurance limiter) rather than refusing everyone.
 */
export class SharedRateLimiter {
  readonly #limiter: RateLimiterRedis | null;

  constructor(
    redis: RedisLink,
    name: string,
    private readonly ratePerSecond: number,
    private readonly what: string,
    private readonly per = 'from your address',
  ) {
    this.#limiter =
      ratePerSecond > 0
        ? new RateLimiterRedis({
            storeClient: redis.command,
            keyPrefix: redis.key('rate', name),
            points: ratePerSecond,
            duration: 1,
            insuranceLimiter: new RateLimiterMemory({ points: ratePerSecond, duration: 1 }),
          })
        : null;
  }

  async take(key: string): Promise<void> {
    if (!this.#limiter) return;
    try {
      await this.#limiter.consume(key);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many ${this.what} ${this.per}: at most ${this.ratePerSecond} per second.`,
        { retryAfterMs: refusal.msBeforeNext },
      );
    }
  }
}
