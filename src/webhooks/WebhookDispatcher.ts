import { type RoomEvent, RoomEventType } from '../conference/events';
import type { RoomEventRepository, WebhookStore } from '../conference/ports';
import { logger } from '../shared/logger';
import { webhookHeaders } from './signature';

export interface WebhookOptions {
  urls: string[];
  /** `whsec_<base64>`. */
  secret: string;
  /** An event not taken by then is given up and recorded as failed. */
  maxAgeMs: number;
  /** Whether private chat messages are delivered too (default: not). */
  privateMessages: boolean;
  /** First wait after a failed attempt; doubled up to `maxRetryMs`. */
  initialRetryMs?: number;
  maxRetryMs?: number;
  /** How long one attempt may take. */
  timeoutMs?: number;
}

/** Events read per database query. */
const PAGE = 100;

/** The id receivers deduplicate by: the same for every attempt and every node. */
export const webhookIdOf = (event: Pick<RoomEvent, 'roomId' | 'sequence'>) =>
  `evt_${Buffer.from(event.roomId).toString('base64url')}_${event.sequence}`;

/** The JSON body: the room event as the GraphQL API shows it. */
export function webhookBody(event: RoomEvent): string {
  const { message, ...rest } = event;
  const data = message ? { ...rest, message: { id: message.id, text: message.text, to: message.to } } : rest;
  return JSON.stringify({ type: event.type, timestamp: event.at.toISOString(), data });
}

/** One URL and room: events go out one at a time, in order. */
interface Lane {
  running: boolean;
  /** Events were stored while it ran: read again before stopping. */
  again: boolean;
}

/**
 * Delivers every room event to every configured URL, at least once and in order per room, from the
 * database: the room's stored events are the outbox, and a cursor per URL and room says how far
 * delivery got. A receiver that is down is retried (about 1 s, doubling to about a minute) until it
 * takes the event or the event is older than WEBHOOK_MAX_AGE_MS (then it is recorded as failed and
 * delivery goes on). A restart resumes from the cursors.
 */
export class WebhookDispatcher {
  readonly #lanes = new Map<string, Lane>();
  readonly #since = new Map<string, Date>();
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  readonly #inFlight = new Set<AbortController>();
  #stopped = false;
  #started: Promise<void> | undefined;
  readonly counts = { delivered: 0, attempts: 0, failed: 0 };

  constructor(
    private readonly events: RoomEventRepository,
    private readonly store: WebhookStore,
    private readonly options: WebhookOptions,
    private readonly post: typeof fetch = fetch,
  ) {}

  /** Registers the URLs and catches up with what earlier runs did not deliver. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      for (const url of this.options.urls) {
        const since = await this.#retrying(() => this.store.endpoint(url));
        if (since === undefined) return;
        this.#since.set(url, since);
        const rooms = await this.#retrying(() => this.store.roomsBehind(url, since));
        for (const roomId of rooms ?? []) this.#kick(url, roomId);
      }
    })();
    return this.#started;
  }

  /** Some of the room's events are stored: deliver them. */
  notify(roomId: string): void {
    if (this.#stopped) return;
    void this.start().then(() => {
      for (const url of this.options.urls) this.#kick(url, roomId);
    });
  }

  /** Lanes still delivering (tests, shutdown). */
  get busy(): number {
    return [...this.#lanes.values()].filter((lane) => lane.running).length;
  }

  stop(): void {
    this.#stopped = true;
    for (const controller of this.#inFlight) controller.abort();
    for (const { timer, resolve } of this.#timers) {
      clearTimeout(timer);
      resolve();
    }
    this.#timers.clear();
  }

  #kick(url: string, roomId: string): void {
    const key = `${url}\n${roomId}`;
    let lane = this.#lanes.get(key);
    if (!lane) this.#lanes.set(key, (lane = { running: false, again: false }));
    if (lane.running) {
      lane.again = true;
      return;
    }
    lane.running = true;
    void this.#run(url, roomId, lane).finally(() => {
      lane.running = false;
      if (!lane.again) this.#lanes.delete(key);
    });
  }

  async #run(url: string, roomId: string, lane: Lane): Promise<void> {
    const since = this.#since.get(url) ?? new Date(0);
    const stored = await this.#retrying(() => this.store.cursor(url, roomId));
    if (stored === undefined) return;
    let cursor: number = stored ?? 0;
    do {
      lane.again = false;
      for (;;) {
        const from = cursor;
        const page: RoomEvent[] | undefined = await this.#retrying(() =>
          this.events.listAfter(roomId, from, PAGE),
        );
        if (!page || page.length === 0) break;
        for (const event of page) {
          if (event.at >= since && this.#deliverable(event)) {
            if (!(await this.#deliver(url, event))) return;
          }
          cursor = event.sequence;
          const through = cursor;
          if (
            (await this.#retrying(() => this.store.advance(url, roomId, through).then(() => true))) ===
            undefined
          )
            return;
        }
        if (page.length < PAGE) break;
      }
    } while (lane.again && !this.#stopped);
  }

  #deliverable(event: RoomEvent): boolean {
    return this.options.privateMessages || event.type !== RoomEventType.MESSAGE || !event.message?.to;
  }

  /** Sends until the receiver takes it (true), gives up past its age (true), or stops (false). */
  async #deliver(url: string, event: RoomEvent): Promise<boolean> {
    const id = webhookIdOf(event);
    const body = webhookBody(event);
    let delay = this.options.initialRetryMs ?? 1000;
    for (let attempt = 1; !this.#stopped; attempt++) {
      this.counts.attempts++;
      const error = await this.#attempt(url, id, body);
      if (error === null) {
        this.counts.delivered++;
        return true;
      }
      if (Date.now() - event.at.getTime() > this.options.maxAgeMs) {
        this.counts.failed++;
        logger.warn({ url, roomId: event.roomId, sequence: event.sequence, error }, 'webhook given up');
        const failure = {
          url,
          roomId: event.roomId,
          sequence: event.sequence,
          webhookId: id,
          attempts: attempt,
          lastError: error,
          failedAt: new Date(),
        };
        return (await this.#retrying(() => this.store.recordFailure(failure).then(() => true))) !== undefined;
      }
      if (attempt === 1) logger.info({ url, error }, 'webhook receiver did not take an event; retrying');
      await this.#sleep(delay);
      delay = Math.min(delay * 2, this.options.maxRetryMs ?? 60_000);
    }
    return false;
  }

  /** One POST; null when the receiver answered 2xx, else what went wrong. */
  async #attempt(url: string, id: string, body: string): Promise<string | null> {
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 10_000);
    try {
      const response = await this.post(url, {
        method: 'POST',
        headers: webhookHeaders(this.options.secret, id, body),
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? error.message.slice(0, 200) : String(error);
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }

  /** A database call, retried with backoff while the database is away; undefined once stopped. */
  async #retrying<T>(call: () => Promise<T>): Promise<T | undefined> {
    let delay = 200;
    while (!this.#stopped) {
      try {
        return await call();
      } catch (error) {
        logger.warn({ err: error }, 'webhook delivery could not reach the database; retrying');
        await this.#sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
    return undefined;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => this.#timers.delete(entry) && resolve(), ms), resolve };
      entry.timer.unref();
      this.#timers.add(entry);
    });
  }
}
