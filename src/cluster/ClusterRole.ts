import { logger } from '../shared/logger';
import type { RedisLink } from './RedisLink';
import { LEASE_RENEW_MS, LEASE_TTL_MS } from './RoomLeases';

type Commands = Record<string, (...args: unknown[]) => Promise<unknown>>;

/**
 * A job one node of the cluster does at a time (webhook delivery): held through the same kind of
 * lease as a room (`role:<name>`, 3 s to live, renewed every second). Every node keeps trying, so
 * when the holder dies another takes the role within seconds and resumes where the database says.
 */
export class ClusterRole {
  #timer: NodeJS.Timeout | undefined;
  #held = false;
  #busy = false;

  constructor(
    private readonly redis: RedisLink,
    private readonly name: string,
    private readonly nodeId: string,
    private readonly onGain: () => void,
    private readonly onLose: () => void,
  ) {}

  start(): void {
    void this.#tick();
    this.#timer = setInterval(() => void this.#tick(), LEASE_RENEW_MS);
    this.#timer.unref();
  }

  get held(): boolean {
    return this.#held;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (!this.#held) return;
    this.#held = false;
    this.onLose();
    await (this.redis.command as unknown as Commands).sfuRelease!(this.#key(), this.nodeId).catch(
      () => undefined,
    );
  }

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const claim = (this.redis.command as unknown as Commands).sfuClaim!;
      const holds = (await claim.call(this.redis.command, this.#key(), this.nodeId, LEASE_TTL_MS)) === 1;
      if (holds && !this.#held) {
        this.#held = true;
        logger.info(
          { event: 'role.gained', role: this.name },
          `this node now does the cluster's ${this.name}`,
        );
        this.onGain();
      } else if (!holds && this.#held) {
        this.#held = false;
        logger.warn(
          { event: 'role.lost', role: this.name },
          `another node does the cluster's ${this.name} now`,
        );
        this.onLose();
      }
    } catch {
      // Redis away: whoever holds the role keeps doing it; the lease is renewed once Redis is back.
    } finally {
      this.#busy = false;
    }
  }

  #key(): string {
    return this.redis.key('role', this.name);
  }
}
