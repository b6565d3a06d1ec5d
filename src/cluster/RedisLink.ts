import { Redis, type RedisOptions } from 'ioredis';
import { logger } from '../shared/logger';

type Handler = (message: string) => void;

/**
 * The node's two connections to Redis: one for commands, one held in subscriber mode (Redis
 * allows nothing else on it). Both reconnect by themselves; while Redis is away commands fail at
 * once instead of queueing (a lease renewal that waits is worse than one that fails), media keeps
 * flowing, and the operator reads one sentence when it goes and one when it is back.
 */
export class RedisLink {
  readonly command: Redis;
  readonly #subscriber: Redis;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #readyListeners = new Set<() => void>();
  #readySince: number | null = null;
  #everReady = false;
  #down = false;
  #closed = false;

  constructor(
    private readonly url: string,
    readonly prefix: string,
  ) {
    const options: RedisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    };
    this.command = new Redis(url, { ...options, connectionName: 'sfu-command' });
    // The subscriber may queue its SUBSCRIBE commands until it is connected: they are replayed anyway.
    this.#subscriber = new Redis(url, {
      ...options,
      enableOfflineQueue: true,
      connectionName: 'sfu-subscriber',
    });
    this.#subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.#handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (error) {
          logger.warn({ err: error, channel }, 'a cluster message could not be handled');
        }
      }
    });
    for (const client of [this.command, this.#subscriber]) {
      // ioredis reports every failed attempt; the outage is said once, below.
      client.on('error', () => undefined);
    }
    this.command.on('ready', () => this.#onReady());
    this.command.on('close', () => this.#onDown());
  }

  /** Connects both; fails with one sentence when Redis cannot be reached. */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.command.connect(), this.#subscriber.connect()]);
    } catch (error) {
      this.close();
      const where = new URL(this.url);
      throw new Error(
        `Redis at ${where.hostname}:${where.port || 6379} could not be reached (${(error as Error).message}); check REDIS_URL.`,
      );
    }
  }

  /** `prefix` + the parts, joined with ':' (every key and channel of this cluster). */
  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** How long the command connection has been up since it last came back (0 while Redis is away; infinite before any outage). */
  upForMs(): number {
    return this.#readySince === null ? 0 : performance.now() - this.#readySince;
  }

  /** Resolves once Redis has been up for `ms` (at once when it has). */
  async settled(ms: number): Promise<void> {
    while (this.upForMs() < ms && !this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, ms - this.upForMs())));
    }
  }

  get up(): boolean {
    return this.#readySince !== null;
  }

  /** Called each time Redis is reachable again after an outage (not at the first connect). */
  onReconnect(listener: () => void): () => void {
    this.#readyListeners.add(listener);
    return () => this.#readyListeners.delete(listener);
  }

  /** Resolves once Redis confirmed the subscription (messages published after that reach `handler`). */
  async subscribe(channel: string, handler: Handler): Promise<() => void> {
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      handlers.add(handler);
      await this.#subscriber.subscribe(channel).catch((error: unknown) => {
        // Replayed on reconnect by ioredis: the subscription stands.
        logger.debug({ err: error, channel }, 'subscription deferred until Redis is back');
      });
    } else {
      handlers.add(handler);
    }
    return () => {
      const current = this.#handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.#handlers.delete(channel);
      if (!this.#closed) void this.#subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Publishes; false when Redis is away (the caller decides what that loses). */
  async publish(channel: string, message: string): Promise<boolean> {
    try {
      await this.command.publish(channel, message);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readyListeners.clear();
    this.command.disconnect();
    this.#subscriber.disconnect();
  }

  #onReady(): void {
    // At the first connect Redis holds what the cluster wrote: nothing to wait for (only a
    // reconnect may find a Redis that restarted empty and needs the holders to write again).
    this.#readySince = this.#everReady ? performance.now() : Number.NEGATIVE_INFINITY;
    this.#everReady = true;
    if (!this.#down) return;
    this.#down = false;
    logger.info({ event: 'redis.up' }, 'Redis is reachable again');
    for (const listener of this.#readyListeners) listener();
  }

  #onDown(): void {
    if (this.#closed) return;
    this.#readySince = null;
    if (this.#down) return;
    this.#down = true;
    logger.warn(
      { event: 'redis.down' },
      'Redis is unreachable; retrying every second (calls keep their media, rooms stay where they are)',
    );
  }
}
