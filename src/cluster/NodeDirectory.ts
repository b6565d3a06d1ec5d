import { logger } from '../shared/logger';
import type { RedisLink } from './RedisLink';

/** What a node carries, for placement: a new room goes to the node with the lowest `load`. */
export interface NodeLoad {
  rooms: number;
  participants: number;
  /** Streams forwarded to subscribers (what costs a node CPU and bandwidth). */
  streams: number;
}

export interface NodeInfo extends NodeLoad {
  id: string;
  /** Where the other nodes (and clients told to move) reach its HTTP and graphql-ws API. */
  url: string;
  /** Its heartbeat is current (it renews it every second; it lapses 3 s after the last one). */
  alive: boolean;
  /** Being drained (SIGTERM): it takes no new rooms. */
  draining: boolean;
  load: number;
  startedAt: string;
}

export const HEARTBEAT_INTERVAL_MS = 1000;
export const HEARTBEAT_TTL_MS = 3000;
/** Placement reads the node list at most this often. */
const LIST_CACHE_MS = 250;

/**
 * The cluster's nodes as Redis knows them: each renews `node:<id>` (its figures, 3 s to live)
 * every second and is listed in the `nodes` hash, so a node that died is still shown, as not alive.
 */
export class NodeDirectory {
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  readonly #startedAt = new Date().toISOString();
  #cache: { at: number; nodes: Promise<NodeInfo[]> } | undefined;
  readonly #urls = new Set<string>();

  constructor(
    private readonly redis: RedisLink,
    readonly selfId: string,
    readonly selfUrl: string,
    private readonly loadOf: () => NodeLoad,
  ) {}

  async start(): Promise<void> {
    await this.heartbeat();
    await this.list();
    this.#timer = setInterval(() => {
      void this.heartbeat().catch(() => undefined);
      void this.list().catch(() => undefined);
    }, HEARTBEAT_INTERVAL_MS);
    this.#timer.unref();
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on this node takes no new rooms (placement skips it). */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.heartbeat().catch(() => undefined);
  }

  self(): NodeInfo {
    const figures = this.loadOf();
    return {
      id: this.selfId,
      url: this.selfUrl,
      alive: true,
      draining: this.#draining,
      ...figures,
      load: loadOf(figures),
      startedAt: this.#startedAt,
    };
  }

  async heartbeat(): Promise<void> {
    const info = JSON.stringify(this.self());
    await this.redis.command
      .multi()
      .set(this.redis.key('node', this.selfId), info, 'PX', HEARTBEAT_TTL_MS)
      .hset(this.redis.key('nodes'), this.selfId, this.selfUrl)
      .exec();
  }

  /** Every node that has a heartbeat or is listed, alive or not (cached for 250 ms). */
  list(): Promise<NodeInfo[]> {
    const now = performance.now();
    if (this.#cache && now - this.#cache.at < LIST_CACHE_MS) return this.#cache.nodes;
    const nodes = this.#read();
    this.#cache = { at: now, nodes };
    nodes.catch(() => (this.#cache = undefined));
    return nodes;
  }

  /** URLs of the nodes seen at the last listing (origins a page moved by a drain connects from). */
  knownUrls(): string[] {
    return [...this.#urls];
  }

  async get(id: string): Promise<NodeInfo | undefined> {
    if (id === this.selfId) return this.self();
    return (await this.list()).find((node) => node.id === id);
  }

  async isAlive(id: string): Promise<boolean> {
    if (id === this.selfId) return true;
    return (await this.get(id))?.alive ?? false;
  }

  /** The live, undrained node with the lowest load (this one when it ties): where a new room goes. */
  async leastLoaded(): Promise<NodeInfo> {
    const candidates = (await this.list()).filter((node) => node.alive && !node.draining);
    const self = this.self();
    let best: NodeInfo | undefined = self.draining ? undefined : self;
    for (const node of candidates) {
      if (node.id === this.selfId) continue;
      if (!best || node.load < best.load) best = node;
    }
    return best ?? self;
  }

  /** Stops the heartbeat and, on a clean exit, leaves the list. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.redis.command
      .multi()
      .del(this.redis.key('node', this.selfId))
      .hdel(this.redis.key('nodes'), this.selfId)
      .exec()
      .catch(() => undefined);
  }

  async #read(): Promise<NodeInfo[]> {
    const listed = await this.redis.command.hgetall(this.redis.key('nodes'));
    for (const url of Object.values(listed)) if (url) this.#urls.add(url);
    const ids = Object.keys(listed);
    if (!ids.includes(this.selfId)) ids.push(this.selfId);
    const beats = await this.redis.command.mget(ids.map((id) => this.redis.key('node', id)));
    return ids.map((id, index) => {
      if (id === this.selfId) return this.self();
      const beat = beats[index];
      if (beat) {
        try {
          return { ...(JSON.parse(beat) as NodeInfo), alive: true };
        } catch (error) {
          logger.warn({ err: error, nodeId: id }, 'unreadable node heartbeat');
        }
      }
      const figures = { rooms: 0, participants: 0, streams: 0 };
      return { id, url: listed[id] ?? '', alive: false, draining: false, ...figures, load: 0, startedAt: '' };
    });
  }
}

const loadOf = (figures: NodeLoad) => figures.participants + figures.streams;
