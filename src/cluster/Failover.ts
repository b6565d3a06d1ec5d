import { logger } from '../shared/logger';
import { LEASE_TTL_MS } from './RoomLeases';
import type { NodeDirectory } from './NodeDirectory';
import type { RedisLink } from './RedisLink';
import type { RoomLeases } from './RoomLeases';

/** Half a lease renewal: a lapsed lease is seen within half a second. */
const SCAN_INTERVAL_MS = 500;
/** Rooms taken over per scan at most (the rest next second), so one node's death is spread out. */
const TAKE_PER_SCAN = 50;
/** A node dead this long leaves the node list. */
const FORGET_DEAD_AFTER_MS = 5 * 60_000;

/**
 * Twice a second, finds the open rooms nobody holds (their holder died: its leases lapsed within 3 s)
 * and takes them: the least loaded node at once, any other a scan later if the room is still free
 * (the first one may have died too). Taking a room loads it here, which ends the dead node's stays
 * with NODE_FAILURE and continues the room's numbering. Just after Redis came back, nothing is taken
 * for a lease's lifetime: the holders take their leases back first (RoomLeases).
 */
export class Failover {
  #timer: NodeJS.Timeout | undefined;
  #scanning = false;
  /** Rooms found free at the last scan. */
  #free = new Set<string>();
  readonly #deadSince = new Map<string, number>();

  constructor(
    private readonly redis: RedisLink,
    private readonly leases: RoomLeases,
    private readonly nodes: NodeDirectory,
    private readonly openRoomIds: () => Promise<string[]>,
    private readonly take: (roomId: string) => Promise<void>,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.scan(), SCAN_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async scan(): Promise<void> {
    if (this.#scanning || this.nodes.draining || this.redis.upForMs() < LEASE_TTL_MS + 500) return;
    this.#scanning = true;
    try {
      const ids = await this.openRoomIds();
      const owners = await this.leases.owners(ids);
      const free = ids.filter((id, index) => owners[index] === null && !this.leases.held().has(id));
      const first = (await this.nodes.leastLoaded()).id === this.nodes.selfId;
      const due = free.filter((id) => first || this.#free.has(id)).slice(0, TAKE_PER_SCAN);
      this.#free = new Set(free);
      for (const roomId of due) {
        try {
          await this.take(roomId);
          logger.info({ event: 'room.taken', roomId }, 'took a room nobody held');
        } catch (error) {
          // Another node was quicker (ROOM_ELSEWHERE), or the room closed meanwhile.
          logger.debug({ err: error, roomId }, 'room not taken');
        }
      }
      await this.#forgetDeadNodes();
    } catch (error) {
      logger.debug({ err: error }, 'failover scan skipped');
    } finally {
      this.#scanning = false;
    }
  }

  async #forgetDeadNodes(): Promise<void> {
    const now = performance.now();
    for (const node of await this.nodes.list()) {
      if (node.alive) {
        this.#deadSince.delete(node.id);
        continue;
      }
      const since = this.#deadSince.get(node.id) ?? now;
      this.#deadSince.set(node.id, since);
      if (now - since > FORGET_DEAD_AFTER_MS) {
        await this.redis.command.hdel(this.redis.key('nodes'), node.id);
        this.#deadSince.delete(node.id);
      }
    }
  }
}
