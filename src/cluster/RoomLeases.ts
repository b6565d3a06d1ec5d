import type { RoomOwnership } from '../conference/ports';
import { logger } from '../shared/logger';
import type { RedisLink } from './RedisLink';

export const LEASE_TTL_MS = 3000;
export const LEASE_RENEW_MS = 1000;

/**
 * Takes the lease when it is free or already ours (then extends it); a lease Redis lost in a
 * restart is simply taken again by its holder at the next renewal. 1: held, 0: another node's.
 */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Deletes the lease only if it is still ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Room ownership in a cluster: one lease per room in Redis (`room:<id>:owner`, value the node id,
 * 3 s to live), renewed every second for every room this node holds: Redis's single-instance lock
 * (SET NX PX, compare-and-delete), nothing of our own making. A node that dies stops renewing, and
 * its leases lapse within 3 s; another node then takes the room (Failover). A lease found held by
 * another node at renewal means this node was cut off for longer than that: the room is given up.
 */
export class RoomLeases implements RoomOwnership {
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;
  #refusing = false;
  /** Told when a held room turned out to be another node's (this node must let it go). */
  onLost: (roomId: string) => void = () => undefined;

  constructor(
    private readonly redis: RedisLink,
    readonly nodeId: string,
  ) {
    redis.command.defineCommand('sfuClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.command.defineCommand('sfuRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  start(): void {
    this.#timer = setInterval(() => void this.#renewAll(), LEASE_RENEW_MS);
    this.#timer.unref();
    // After a Redis restart every lease is gone: take ours back before anyone looks.
    this.redis.onReconnect(() => void this.#renewAll());
  }

  held(): ReadonlySet<string> {
    return this.#held;
  }

  /**
   * Drain: no room is taken from now on, only the leases held are kept until released. A room
   * this node hands over is free for a moment before the next holder takes it, and operations
   * other nodes routed here just before would take it back (a join forwarded here loads the room
   * it asks for): they are refused instead (ROOM_ELSEWHERE, and routed again).
   */
  refuseNewClaims(): void {
    this.#refusing = true;
  }

  async claim(roomId: string): Promise<boolean> {
    if (this.#refusing && !this.#held.has(roomId)) return false;
    const taken = (await this.#command('sfuClaim', roomId)) === 1;
    if (taken) this.#held.add(roomId);
    return taken;
  }

  async release(roomId: string): Promise<void> {
    if (!this.#held.delete(roomId)) return;
    await this.#command('sfuRelease', roomId).catch(() => undefined);
  }

  /** The node holding the room, or null when nobody does. */
  async owner(roomId: string): Promise<string | null> {
    return this.redis.command.get(this.#key(roomId));
  }

  /** The holders of several rooms at once (null: free). */
  async owners(roomIds: readonly string[]): Promise<Array<string | null>> {
    if (roomIds.length === 0) return [];
    return this.redis.command.mget(roomIds.map((id) => this.#key(id)));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#held].map((roomId) => this.release(roomId)));
  }

  async #renewAll(): Promise<void> {
    if (this.#renewing || this.#held.size === 0) return;
    this.#renewing = true;
    try {
      const rooms = [...this.#held];
      const pipeline = this.redis.command.pipeline();
      for (const roomId of rooms) {
        (pipeline as unknown as Record<string, (...args: unknown[]) => unknown>).sfuClaim(
          this.#key(roomId),
          this.nodeId,
          LEASE_TTL_MS,
        );
      }
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, value], index) => {
        const roomId = rooms[index]!;
        if (error || value !== 0 || !this.#held.has(roomId)) return;
        this.#held.delete(roomId);
        logger.warn(
          { event: 'room.lease_lost', roomId },
          'another node holds a room this node had: it leaves this node',
        );
        this.onLost(roomId);
      });
    } catch {
      // Redis away: the leases are renewed (or taken back) once it returns.
    } finally {
      this.#renewing = false;
    }
  }

  #command(name: 'sfuClaim' | 'sfuRelease', roomId: string): Promise<unknown> {
    const command = (
      this.redis.command as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    )[name]!;
    return name === 'sfuClaim'
      ? command.call(this.redis.command, this.#key(roomId), this.nodeId, LEASE_TTL_MS)
      : command.call(this.redis.command, this.#key(roomId), this.nodeId);
  }

  #key(roomId: string): string {
    return this.redis.key('room', roomId, 'owner');
  }
}
