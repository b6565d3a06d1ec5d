import type { NodeDirectory } from './NodeDirectory';
import type { RedisLink } from './RedisLink';

/** Counts are written at most this often per room (a burst of subscribes is one write). */
const FLUSH_MS = 200;
/** A room's counts are forgotten after a day without change. */
const COUNTS_TTL_MS = 24 * 3600_000;

/**
 * How many subscriptions follow each room on each node (`subs:<room>`, a hash node -> count), so
 * SUBSCRIPTIONS_PER_ROOM holds for the whole cluster. Only live nodes count: a dead node's figures
 * are ignored. While Redis is away each node enforces its own count only.
 */
export class SubscriptionCounts {
  readonly #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisLink,
    private readonly nodes: () => NodeDirectory,
  ) {}

  report(roomId: string, count: number): void {
    this.#pending.set(roomId, count);
    this.#timer ??= setTimeout(() => void this.#flush(), FLUSH_MS);
    this.#timer.unref?.();
  }

  async elsewhere(roomId: string): Promise<number> {
    try {
      const counts = await this.redis.command.hgetall(this.redis.key('subs', roomId));
      const nodes = this.nodes();
      const live = new Set((await nodes.list()).filter((node) => node.alive).map((node) => node.id));
      let total = 0;
      for (const [nodeId, count] of Object.entries(counts)) {
        if (nodeId !== nodes.selfId && live.has(nodeId)) total += Number(count) || 0;
      }
      return total;
    } catch {
      return 0;
    }
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const batch = [...this.#pending];
    this.#pending.clear();
    let nodeId: string;
    try {
      nodeId = this.nodes().selfId;
    } catch {
      // Not in the cluster yet (the API listens a moment before the node joins): try again shortly.
      for (const [roomId, count] of batch) this.report(roomId, count);
      return;
    }
    const multi = this.redis.command.multi();
    for (const [roomId, count] of batch) {
      const key = this.redis.key('subs', roomId);
      if (count > 0) multi.hset(key, nodeId, String(count)).pexpire(key, COUNTS_TTL_MS);
      else multi.hdel(key, nodeId);
    }
    await multi.exec().catch(() => {
      // Redis away: written again with the next change.
      for (const [roomId, count] of batch) if (!this.#pending.has(roomId)) this.#pending.set(roomId, count);
    });
  }
}
