import { randomBytes } from 'node:crypto';
import type { RoomEvent } from '../conference/events';
import type { RoomEventRepository } from '../conference/ports';
import { logger } from '../shared/logger';
import { ClusterRole } from './ClusterRole';
import { Failover } from './Failover';
import { type NodeInfo, type NodeLoad, NodeDirectory } from './NodeDirectory';
import { ParticipantDirectory } from './ParticipantDirectory';
import { RedisLink } from './RedisLink';
import { encodeEvents, eventsChannel, RoomEventFeed } from './RoomEventFeed';
import { RoomLeases } from './RoomLeases';
import { SharedRateLimiter } from './SharedRateLimiter';
import { SubscriptionCounts } from './SubscriptionCounts';
import { type OpenOffers, SignalingRelay } from './SignalingRelay';

export type { NodeInfo } from './NodeDirectory';

export interface ClusterOptions {
  redisUrl: string;
  prefix: string;
  nodeId: string;
}

/** What the node must provide once it listens (its API and its rooms). */
export interface NodeServices {
  url: string;
  load: () => NodeLoad;
  openOffers: OpenOffers;
  /** Ids of every open room in the shared database. */
  openRoomIds: () => Promise<string[]>;
  /** Loads a room here (claiming its lease); throws when another node holds it. */
  take: (roomId: string) => Promise<void>;
  /** Rooms live on this node now. */
  localRooms: () => string[];
  /** Sends a room's members away (ROOM_MOVED, with where) and lets its lease go once its events are stored. */
  handOver: (roomId: string, to: NodeInfo) => Promise<void>;
}

type TakeMessage = { t: 'take'; roomId: string };

/**
 * This process as one node of a cluster: Redis for who holds which room (leases), which nodes are
 * alive and how loaded (heartbeats), live events and offers between nodes (pub/sub), and shared
 * rate limits; PostgreSQL, shared by every node, for everything stored. Built in two steps: the
 * parts the conference needs at construction (`connect`), then the node's presence once its API
 * listens (`join`).
 */
export class Cluster {
  readonly leases: RoomLeases;
  readonly participants: ParticipantDirectory;
  readonly feed: RoomEventFeed;
  readonly subscriptions: SubscriptionCounts;
  #nodes: NodeDirectory | undefined;
  #relay: SignalingRelay | undefined;
  #failover: Failover | undefined;
  #services: NodeServices | undefined;
  #unsubscribe: () => void = () => undefined;
  #closing: Promise<void> | undefined;
  readonly #roles: ClusterRole[] = [];

  private constructor(
    readonly redis: RedisLink,
    readonly nodeId: string,
    events: RoomEventRepository,
  ) {
    this.leases = new RoomLeases(redis, nodeId);
    this.participants = new ParticipantDirectory(redis);
    this.feed = new RoomEventFeed(redis, events);
    this.subscriptions = new SubscriptionCounts(redis, () => this.nodes);
  }

  /** Proves a request was forwarded by a node of this cluster: made by the first node, kept in Redis. */
  internalSecret = '';

  static async connect(options: ClusterOptions, events: RoomEventRepository): Promise<Cluster> {
    const redis = new RedisLink(options.redisUrl, options.prefix);
    await redis.connect();
    const cluster = new Cluster(redis, options.nodeId, events);
    try {
      const key = redis.key('internal-secret');
      await redis.command.set(key, randomBytes(32).toString('base64url'), 'NX');
      cluster.internalSecret = (await redis.command.get(key)) ?? '';
      if (!cluster.internalSecret) throw new Error('Redis lost the cluster secret as it was made');
      // Two nodes with one NODE_ID would each think they hold the other's rooms.
      const other = await redis.command.get(redis.key('node', options.nodeId));
      if (other) {
        throw new Error(
          `NODE_ID "${options.nodeId}" is in use by a running node; give each node its own NODE_ID.`,
        );
      }
    } catch (error) {
      redis.close();
      throw error;
    }
    cluster.leases.start();
    // A restarted Redis has nothing: the secret is put back by whichever node sees it first.
    redis.onReconnect(() => {
      void redis.command
        .set(redis.key('internal-secret'), cluster.internalSecret, 'NX')
        .catch(() => undefined);
    });
    return cluster;
  }

  /** Called after Redis came back (its keys may all be gone: each node puts its own back). */
  onReconnect(listener: () => void): void {
    this.redis.onReconnect(listener);
  }

  get nodes(): NodeDirectory {
    if (!this.#nodes) throw new Error('the node has not joined its cluster yet');
    return this.#nodes;
  }

  get relay(): SignalingRelay {
    if (!this.#relay) throw new Error('the node has not joined its cluster yet');
    return this.#relay;
  }

  /** Starts the heartbeat, the relay of offers, and the failover scan. */
  async join(services: NodeServices): Promise<void> {
    this.#services = services;
    const nodes = (this.#nodes = new NodeDirectory(this.redis, this.nodeId, services.url, services.load));
    this.#relay = new SignalingRelay(this.redis, nodes, services.openOffers);
    this.#failover = new Failover(this.redis, this.leases, nodes, services.openRoomIds, services.take);
    await nodes.start();
    await this.#relay.start();
    this.#unsubscribe = await this.redis.subscribe(this.redis.key('node', this.nodeId, 'ctl'), (raw) => {
      const message = JSON.parse(raw) as TakeMessage | { t: string };
      if (message.t === 'take') {
        void services
          .take((message as TakeMessage).roomId)
          .catch((error: unknown) => logger.debug({ err: error }, 'a room handed over was taken elsewhere'));
      }
    });
    this.leases.onLost = (roomId) =>
      void services
        .handOver(roomId, nodes.self())
        .catch((error: unknown) => logger.warn({ err: error, roomId }, 'could not let a lost room go'));
    this.#failover.start();
    logger.info({ event: 'node.joined', nodeId: this.nodeId, url: services.url }, 'joined the cluster');
  }

  /** The holder's side of live events: a batch, once stored, goes to the nodes following the room. */
  publishStored(roomId: string, events: readonly RoomEvent[]): void {
    void this.redis.publish(eventsChannel(this.redis, roomId), encodeEvents(events));
    void this.redis.publish(this.redis.key('stored'), roomId);
  }

  /** Told of every room whose events some node just stored (webhook delivery listens). */
  onStored(listener: (roomId: string) => void): Promise<() => void> {
    return this.redis.subscribe(this.redis.key('stored'), listener);
  }

  /** A job one node at a time does (see ClusterRole); started at once, stopped with the cluster. */
  role(name: string, onGain: () => void, onLose: () => void): ClusterRole {
    const role = new ClusterRole(this.redis, name, this.nodeId, onGain, onLose);
    this.#roles.push(role);
    role.start();
    return role;
  }

  rateLimiter(name: string, ratePerSecond: number, what: string, per?: string): SharedRateLimiter {
    return new SharedRateLimiter(this.redis, name, ratePerSecond, what, per);
  }

  /**
   * SIGTERM: this node takes no new rooms; each of its rooms goes to the least loaded other node
   * (members told ROOM_MOVED with its url, events stored, lease released, the other node asked to
   * take it at once). Resolves when every room has left.
   */
  async drain(): Promise<void> {
    const services = this.#services;
    if (!services) return;
    const nodes = this.nodes;
    this.leases.refuseNewClaims();
    await nodes.drain();
    this.#failover?.stop();
    const rooms = services.localRooms();
    await Promise.all(
      rooms.map(async (roomId) => {
        const target = await nodes.leastLoaded();
        if (target.id === this.nodeId) {
          logger.warn({ roomId }, 'no other node to move a room to; it stays open for the next one');
        }
        await services.handOver(roomId, target);
        if (target.id !== this.nodeId) {
          await this.redis.publish(
            this.redis.key('node', target.id, 'ctl'),
            JSON.stringify({ t: 'take', roomId } satisfies TakeMessage),
          );
        }
      }),
    );
    if (rooms.length > 0)
      logger.info({ event: 'node.drained', rooms: rooms.length }, 'moved every room to other nodes');
  }

  /** Leaves the cluster: heartbeat and leases end (rooms still here lapse to other nodes). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#failover?.stop();
      await Promise.all(this.#roles.map((role) => role.stop()));
      this.#unsubscribe();
      await this.#relay?.stop();
      await this.leases.stop();
      await this.#nodes?.stop();
      this.feed.close();
      this.redis.close();
    })();
    return this.#closing;
  }
}
