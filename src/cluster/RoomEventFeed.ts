import type { RoomEvent } from '../conference/events';
import { RoomEventType } from '../conference/events';
import type { RoomEventRepository } from '../conference/ports';
import { RoomEventStream, type RoomEventSource } from '../conference/RoomEventStream';
import { logger } from '../shared/logger';
import type { RedisLink } from './RedisLink';

/** How often a followed room is compared with the database (a message Redis lost is read there). */
const CATCH_UP_MS = 5000;
/** Events read per query when filling a gap. */
const FILL_PAGE = 500;

export const eventsChannel = (redis: RedisLink, roomId: string) => redis.key('room', roomId, 'events');

/** The holder's side: what it stored, for the nodes whose clients follow the room. */
export function encodeEvents(events: readonly RoomEvent[]): string {
  return JSON.stringify(events);
}

function decodeEvents(message: string): RoomEvent[] {
  const events = JSON.parse(message) as Array<RoomEvent & { at: string }>;
  return events.map((event) => ({ ...event, at: new Date(event.at) }));
}

/** One followed room on this node: a Redis subscription shared by every reader here. */
class FollowedRoom implements RoomEventSource {
  readonly #listeners = new Set<(event: RoomEvent) => void>();
  /** Every event up to here is stored and was handed to the listeners. */
  #through = 0;
  #closed = false;
  /** Messages and catch-ups are handled one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();
  #unsubscribe: () => void = () => undefined;
  #timer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(
    readonly roomId: string,
    readonly repository: RoomEventRepository,
    private readonly onIdle: () => void,
  ) {}

  /** Subscribes (confirmed by Redis) before reading where the room is, so nothing falls between. */
  async open(redis: RedisLink): Promise<void> {
    this.#unsubscribe = await redis.subscribe(eventsChannel(redis, this.roomId), (message) =>
      this.#enqueue(async () => this.#deliver(decodeEvents(message))),
    );
    this.#through = await this.repository.lastSequence(this.roomId);
    this.#timer = setInterval(() => this.catchUp(), CATCH_UP_MS);
    this.#timer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get through(): number {
    return this.#through;
  }

  /** Everything the feed sends is stored already: there is no unstored tail to merge. */
  unstored(): { storedThrough: number; events: readonly RoomEvent[] } {
    return { storedThrough: this.#through, events: [] };
  }

  subscribe(listener: (event: RoomEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** Reads what was stored since the last event handed on (after Redis came back, or periodically). */
  catchUp(): void {
    this.#enqueue(() => this.#fill(Number.MAX_SAFE_INTEGER));
  }

  /** Nobody here follows it any more: the subscription is given up. */
  get disposed(): boolean {
    return this.#disposed;
  }

  close(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.#listeners.clear();
    this.onIdle();
  }

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(task).catch((error: unknown) => {
      logger.warn({ err: error, roomId: this.roomId }, 'room events from another node delayed');
    });
  }

  async #deliver(events: RoomEvent[]): Promise<void> {
    for (const event of events) {
      if (event.sequence <= this.#through) continue;
      // A message Redis never delivered (an outage): what it carried is in the database.
      if (event.sequence > this.#through + 1) await this.#fill(event.sequence);
      if (event.sequence === this.#through + 1) this.#emit(event);
    }
  }

  /** Hands on stored events after #through, up to (not including) `before`. */
  async #fill(before: number): Promise<void> {
    while (this.#through + 1 < before && !this.#closed) {
      const rows = await this.repository.listAfter(this.roomId, this.#through, FILL_PAGE);
      const wanted = rows.filter((row) => row.sequence < before);
      for (const row of wanted) if (row.sequence === this.#through + 1) this.#emit(row);
      if (rows.length < FILL_PAGE || wanted.length < rows.length) return;
    }
  }

  #emit(event: RoomEvent): void {
    this.#through = event.sequence;
    if (event.type === RoomEventType.ROOM_CLOSED) this.#closed = true;
    for (const listener of [...this.#listeners]) listener(event);
  }
}

/**
 * Room events for clients of this node following a room another node holds. The holder publishes
 * each batch once the database has it (`room:<id>:events`); here each followed room has one Redis
 * subscription, and gaps (messages lost while Redis was away) are filled from the database, so a
 * reader sees every event once, in order, whichever node holds the room, including a node that
 * takes the room over after its holder died.
 */
export class RoomEventFeed {
  readonly #rooms = new Map<string, Promise<FollowedRoom>>();

  constructor(
    private readonly redis: RedisLink,
    private readonly repository: RoomEventRepository,
  ) {
    redis.onReconnect(() => {
      for (const room of this.#rooms.values()) void room.then((followed) => followed.catchUp());
    });
  }

  /** A reader of the room's events after `after` (null: from now on). */
  async stream(roomId: string, after: number | null): Promise<RoomEventStream> {
    for (;;) {
      const followed = await this.#follow(roomId);
      // Its last reader left while this one waited: follow it anew.
      if (followed.disposed) continue;
      return new RoomEventStream(followed, after ?? followed.through);
    }
  }

  #follow(roomId: string): Promise<FollowedRoom> {
    let room = this.#rooms.get(roomId);
    if (!room) {
      const followed: FollowedRoom = new FollowedRoom(roomId, this.repository, () => {
        if (this.#rooms.get(roomId) === room) this.#rooms.delete(roomId);
      });
      room = followed.open(this.redis).then(() => followed);
      room.catch(() => this.#rooms.delete(roomId));
      this.#rooms.set(roomId, room);
    }
    return room;
  }

  /** Rooms followed from this node (leak checks). */
  get size(): number {
    return this.#rooms.size;
  }

  close(): void {
    for (const room of this.#rooms.values()) void room.then((followed) => followed.close());
    this.#rooms.clear();
  }
}
