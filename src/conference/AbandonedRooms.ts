import { logger } from '../shared/logger';
import type { Page, PageRequest, RoomRecord } from './records';
import type { Room } from './Room';

/** Rooms read per query when the open rooms of a previous run are looked up at start. */
const RECOVERY_PAGE = 100;

/** What the sweep needs from the registry. */
export interface AbandonedRoomsHost {
  /** The database's open rooms (not a listing from memory: the previous run's are wanted). */
  listOpen(page: PageRequest): Promise<Page<RoomRecord>>;
  stopped(): boolean;
  /** Whether the room is live or being loaded here (a live room has its own timer). */
  loaded(id: string): boolean;
  load(id: string): Promise<Room | 'closed' | null>;
  close(room: Room): Promise<unknown>;
}

/**
 * Rooms a process that died left open have nobody in them and no empty-room timer (nobody loaded
 * them), so they would stay open for ever and count against ROOMS_MAX. One timer, armed at start,
 * closes those still empty and unloaded after the empty-room timeout; a room loaded before that
 * (someone joined) has its own timer.
 */
export class AbandonedRooms {
  /** Armed by `recover`; fires once, when the empty-room timeout has passed. */
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly host: AbandonedRoomsHost,
  ) {}

  /** Arms the timer for the rooms open now. Returns how many rooms it watches. */
  async recover(): Promise<number> {
    const timeout = this.timeoutMs;
    if (timeout <= 0 || this.host.stopped()) return 0;
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.host.listOpen({ first: RECOVERY_PAGE, after });
      ids.push(...page.items.map((room) => room.id));
      if (!page.hasNextPage || !page.endCursor) break;
      after = page.endCursor;
    }
    if (ids.length === 0 || this.host.stopped()) return ids.length;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#closeAbandoned(ids);
    }, timeout);
    this.#timer.unref();
    return ids.length;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Closes each room of `ids` nobody has loaded since the start (a live room has its own timer). */
  async #closeAbandoned(ids: string[]): Promise<void> {
    let closed = 0;
    for (const id of ids) {
      if (this.host.stopped()) return;
      if (this.host.loaded(id)) continue;
      try {
        const room = await this.host.load(id);
        // Checked in the same turn as the door shuts: a joiner reserves synchronously.
        if (!room || room === 'closed' || room.closed || !room.empty) continue;
        await this.host.close(room);
        closed++;
      } catch (error) {
        logger.warn({ err: error, roomId: id }, 'could not close a room left open by the previous run');
      }
    }
    if (closed > 0) logger.info({ count: closed }, 'closed empty rooms left open by the previous run');
  }
}
