import { type RoomEvent, RoomEventType } from './events';
import type { RoomEventRepository } from './ports';

/** Where a stream reads a room's events: the database, the log's unstored tail, and live events. */
export interface RoomEventSource {
  readonly roomId: string;
  readonly repository: RoomEventRepository;
  /** ROOM_CLOSED was appended: nothing live will follow. */
  readonly closed: boolean;
  /** Taken synchronously: every event with sequence <= storedThrough is in the database. */
  unstored(): { storedThrough: number; events: readonly RoomEvent[] };
  subscribe(listener: (event: RoomEvent) => void): () => void;
}

/** Stored events read per database query. */
export const REPLAY_PAGE_SIZE = 500;
/** Live events held for a reader that is still replaying or not reading. */
const MAX_BUFFERED = 10_000;

type Phase = 'stored' | 'live' | 'ending' | 'done';

/**
 * One reader's view of a room's events after a sequence number: stored ones first, a page at a time
 * as the reader asks (a room may have 100,000), then those still on their way to the database, then
 * live ones, each exactly once and in order. It listens before it reads, so an event is always in
 * one of the three parts (or several: it is then sent once). Ends after ROOM_CLOSED.
 */
export class RoomEventStream implements AsyncIterableIterator<RoomEvent> {
  #lastSent: number;
  #phase: Phase = 'stored';
  #page: RoomEvent[] = [];
  readonly #live: RoomEvent[] = [];
  #waiter: { resolve: (result: IteratorResult<RoomEvent>) => void; reject: (e: unknown) => void } | undefined;
  #failure: unknown;
  #unsubscribe: () => void;
  #storeExhausted = false;
  #visible: (event: RoomEvent) => boolean = () => true;

  constructor(
    private readonly source: RoomEventSource,
    after: number,
  ) {
    this.#lastSent = after;
    this.#unsubscribe = source.subscribe((event) => this.#onLive(event));
  }

  /**
   * Not an async function: a live event must reach each of a room's watchers with as few promise
   * steps as possible (an async function returning the waiting promise adds two per delivery).
   */
  next(): Promise<IteratorResult<RoomEvent>> {
    if (this.#failure !== undefined) return Promise.reject(this.#takeFailure());
    while (this.#phase === 'live' && this.#page.length === 0) {
      const live = this.#live.shift();
      if (!live) return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
      if (live.sequence > this.#lastSent && this.#take(live)) return Promise.resolve(this.#send(live));
    }
    return this.#next();
  }

  async #next(): Promise<IteratorResult<RoomEvent>> {
    for (;;) {
      if (this.#phase === 'done') return { value: undefined, done: true };
      const event = this.#page.shift();
      if (event) {
        if (event.sequence > this.#lastSent && this.#take(event)) return this.#send(event);
        continue;
      }
      if (this.#phase === 'stored') {
        try {
          await this.#readMore();
        } catch (error) {
          this.#finish();
          throw error;
        }
        continue;
      }
      if (this.#phase === 'ending') {
        this.#finish();
        continue;
      }
      const live = this.#live.shift();
      if (live) {
        if (live.sequence > this.#lastSent && this.#take(live)) return this.#send(live);
        continue;
      }
      return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
    }
  }

  return(): Promise<IteratorResult<RoomEvent>> {
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<RoomEvent>> {
    this.#finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<RoomEvent> {
    return this;
  }

  /**
   * Leaves out the events `visible` refuses (private messages of others), here rather than in an
   * iterator around this one: every delivery to every subscriber went through one more async
   * layer. A left-out event still counts as sent: the stream resumes after it.
   */
  filter(visible: (event: RoomEvent) => boolean): this {
    this.#visible = visible;
    return this;
  }

  /** The next page from the database, or, once caught up with it, the unstored tail. */
  async #readMore(): Promise<void> {
    const { storedThrough, events } = this.source.unstored();
    if (this.#lastSent < storedThrough && !this.#storeExhausted) {
      const rows = await this.source.repository.listAfter(
        this.source.roomId,
        this.#lastSent,
        REPLAY_PAGE_SIZE,
      );
      // Nothing more stored although the log says so: history lost before this version (or a
      // closed room read from the database alone). Carry on with what is known.
      if (rows.length === 0) this.#storeExhausted = true;
      this.#page = rows;
      return;
    }
    this.#page = events.filter((event) => event.sequence > this.#lastSent);
    this.#phase = this.source.closed ? 'ending' : 'live';
  }

  /** Whether the reader gets `event`; one it does not get is passed over as if sent. */
  #take(event: RoomEvent): boolean {
    if (this.#visible(event)) return true;
    this.#send(event);
    return false;
  }

  #send(event: RoomEvent): IteratorResult<RoomEvent> {
    this.#lastSent = event.sequence;
    if (event.type === RoomEventType.ROOM_CLOSED) this.#phase = 'ending';
    return { value: event, done: false };
  }

  #onLive(event: RoomEvent): void {
    if (this.#phase === 'done') return;
    const waiter = this.#waiter;
    if (waiter && this.#phase === 'live' && this.#page.length === 0 && this.#live.length === 0) {
      this.#waiter = undefined;
      if (event.sequence > this.#lastSent && this.#take(event)) waiter.resolve(this.#send(event));
      else this.#waiter = waiter;
      return;
    }
    if (this.#live.length >= MAX_BUFFERED) {
      this.#fail(new Error('subscriber is not reading: event buffer overflow'));
      return;
    }
    this.#live.push(event);
  }

  #fail(error: unknown): void {
    const waiter = this.#waiter;
    this.#finish();
    if (waiter) waiter.reject(error);
    else this.#failure = error;
  }

  #takeFailure(): unknown {
    const failure = this.#failure;
    this.#failure = undefined;
    return failure;
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#page = [];
    this.#live.length = 0;
    this.#unsubscribe();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }
}
