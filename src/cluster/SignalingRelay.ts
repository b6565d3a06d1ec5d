import { randomUUID } from 'node:crypto';
import type { Offer } from '../conference/Participant';
import type { SignalingLink } from '../conference/ports';
import { AsyncEventQueue } from '../shared/AsyncEventQueue';
import { DomainError, ErrorCode, isDomainError } from '../shared/errors';
import { logger } from '../shared/logger';
import type { NodeDirectory } from './NodeDirectory';
import type { RedisLink } from './RedisLink';

/** How often a node tells each holder how the sockets carrying its participants' offers are. */
const ALIVE_INTERVAL_MS = 500;
/** An attach the holder does not confirm in this long: the holder is not answering. */
const ATTACH_TIMEOUT_MS = 3000;
/** A relayed link no node reported on for this long is given up by its holder. */
const ABANDONED_AFTER_MS = 30_000;
/** Redis up for less than this (a heartbeat's lifetime and then some): what it says is not complete yet. */
export const REDIS_SETTLE_MS = 3500;

type ControlMessage =
  | { t: 'attach'; link: string; participantId: string; token: string }
  | { t: 'alive'; links: Record<string, number> }
  | { t: 'detach'; link: string };

type LinkMessage =
  | { t: 'ready' }
  | { t: 'offer'; offer: Offer }
  | { t: 'end' }
  | { t: 'error'; code: string; message: string; details?: Record<string, unknown> };

/** Opens a participant's offers for a relayed link, checking the token (coded errors). */
export type OpenOffers = (
  participantId: string,
  token: string,
  link: SignalingLink,
) => AsyncIterableIterator<Offer>;

/**
 * `negotiation` across nodes. The client's socket is on one node (the entry), its participant on
 * the room's node (the holder): the entry asks the holder to attach (`node:<holder>:ctl`), the
 * holder runs the subscription as for a local socket and publishes each offer on `link:<id>`, and
 * the entry reports every half second how long its socket has been silent, so the participant's
 * presence on the holder sees the real client (a frozen client is noticed as on one node).
 */
export class SignalingRelay {
  /** Holder side: relayed links of participants here. */
  readonly #hosted = new Map<
    string,
    { link: { lastSeen: number; open: boolean }; offers: AsyncIterableIterator<Offer> }
  >();
  /** Entry side: links this node carries for participants held elsewhere. */
  readonly #carried = new Map<
    string,
    { holder: string; local: SignalingLink; queue: AsyncEventQueue<Offer> }
  >();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: () => void = () => undefined;

  constructor(
    private readonly redis: RedisLink,
    private readonly nodes: NodeDirectory,
    private readonly openOffers: OpenOffers,
  ) {}

  async start(): Promise<void> {
    this.#unsubscribe = await this.redis.subscribe(this.redis.key('node', this.nodes.selfId, 'ctl'), (raw) =>
      this.#onControl(JSON.parse(raw) as ControlMessage),
    );
    this.#timer = setInterval(() => void this.#tick(), ALIVE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Entry side: the offers of a participant held by `holder`, carried by this node's socket `local`. */
  async offers(
    holder: string,
    participantId: string,
    token: string,
    local: SignalingLink,
  ): Promise<AsyncIterableIterator<Offer>> {
    const id = randomUUID();
    let unsubscribe: () => void = () => undefined;
    let attached = false;
    const queue: AsyncEventQueue<Offer> = new AsyncEventQueue<Offer>(() => {
      this.#carried.delete(id);
      unsubscribe();
      void this.#send(holder, { t: 'detach', link: id });
    });
    unsubscribe = await this.redis.subscribe(this.redis.key('link', id), (raw) => {
      const message = JSON.parse(raw) as LinkMessage;
      if (message.t === 'ready') attached = true;
      else if (message.t === 'offer') queue.push(message.offer);
      else if (message.t === 'end') queue.end();
      else queue.fail(new DomainError(message.code as ErrorCode, message.message, message.details));
    });
    this.#carried.set(id, { holder, local, queue });
    if (!(await this.#send(holder, { t: 'attach', link: id, participantId, token }))) {
      queue.fail(unavailable());
      return queue;
    }
    setTimeout(() => {
      if (!attached) queue.fail(unavailable());
    }, ATTACH_TIMEOUT_MS).unref();
    return queue;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#unsubscribe();
    for (const { queue } of [...this.#carried.values()]) queue.end();
    for (const { offers } of [...this.#hosted.values()]) await offers.return?.();
    this.#hosted.clear();
  }

  #onControl(message: ControlMessage): void {
    if (message.t === 'attach') void this.#host(message.link, message.participantId, message.token);
    else if (message.t === 'alive') {
      const now = performance.now();
      for (const [id, silentMs] of Object.entries(message.links)) {
        const hosted = this.#hosted.get(id);
        if (hosted) hosted.link.lastSeen = Math.max(hosted.link.lastSeen, now - silentMs);
      }
    } else if (message.t === 'detach') {
      const hosted = this.#hosted.get(message.link);
      if (!hosted) return;
      hosted.link.open = false;
      this.#hosted.delete(message.link);
      void hosted.offers.return?.();
    }
  }

  /** Holder side: runs the participant's offers for a link carried by another node. */
  async #host(id: string, participantId: string, token: string): Promise<void> {
    const channel = this.redis.key('link', id);
    const link = { lastSeen: performance.now(), open: true };
    let offers: AsyncIterableIterator<Offer>;
    try {
      offers = this.openOffers(participantId, token, link);
    } catch (error) {
      await this.redis.publish(channel, JSON.stringify(errorMessage(error)));
      return;
    }
    this.#hosted.set(id, { link, offers });
    await this.redis.publish(channel, JSON.stringify({ t: 'ready' } satisfies LinkMessage));
    try {
      for await (const offer of offers) {
        await this.redis.publish(channel, JSON.stringify({ t: 'offer', offer } satisfies LinkMessage));
      }
      await this.redis.publish(channel, JSON.stringify({ t: 'end' } satisfies LinkMessage));
    } catch (error) {
      await this.redis.publish(channel, JSON.stringify(errorMessage(error)));
    } finally {
      link.open = false;
      this.#hosted.delete(id);
    }
  }

  async #tick(): Promise<void> {
    const now = performance.now();
    // While Redis is away (and just after), entry nodes cannot report: their sockets count as alive
    // rather than silent, so an outage removes nobody (media presence still speaks for itself).
    if (this.redis.upForMs() < REDIS_SETTLE_MS) {
      for (const hosted of this.#hosted.values()) hosted.link.lastSeen = now;
    }
    // Holder side: links whose entry node went quiet for good (it died) are given up.
    for (const [id, hosted] of this.#hosted) {
      if (now - hosted.link.lastSeen < ABANDONED_AFTER_MS) continue;
      hosted.link.open = false;
      this.#hosted.delete(id);
      void hosted.offers.return?.();
    }
    // Entry side: report each socket's silence to its holder; end links whose socket closed or
    // whose holder died (its participants are gone: NODE_FAILURE, recorded by the node taking over).
    const byHolder = new Map<string, Record<string, number>>();
    for (const [id, carried] of this.#carried) {
      if (!carried.local.open) {
        carried.queue.end();
        continue;
      }
      const report = byHolder.get(carried.holder) ?? {};
      report[id] = Math.max(0, now - carried.local.lastSeen);
      byHolder.set(carried.holder, report);
    }
    const settled = this.redis.upForMs() >= REDIS_SETTLE_MS;
    for (const [holder, links] of byHolder) {
      // Right after Redis came back, heartbeats are not all renewed yet: nobody is dead then.
      if (settled && !(await this.nodes.isAlive(holder).catch(() => true))) {
        for (const carried of this.#carried.values())
          if (carried.holder === holder) carried.queue.fail(unavailable());
        continue;
      }
      await this.#send(holder, { t: 'alive', links });
    }
  }

  #send(holder: string, message: ControlMessage): Promise<boolean> {
    return this.redis.publish(this.redis.key('node', holder, 'ctl'), JSON.stringify(message));
  }
}

const unavailable = () =>
  new DomainError(
    ErrorCode.NODE_UNAVAILABLE,
    'The node holding this participant is not answering; join the room again.',
  );

function errorMessage(error: unknown): LinkMessage {
  if (isDomainError(error))
    return { t: 'error', code: error.code, message: error.message, details: error.details };
  logger.warn({ err: error }, 'a relayed negotiation failed');
  return { t: 'error', code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
}
