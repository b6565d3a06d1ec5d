import { randomUUID } from 'node:crypto';
import { AsyncEventQueue } from '../shared/AsyncEventQueue';
import { mergeAttributes } from './attributes';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { TypedEmitter } from '../shared/TypedEmitter';
import { LeaveReason } from './events';
import { type Grants, type JoinPermit, OPEN_PERMIT } from './grants';
import type {
  MediaPeer,
  MediaPeerListener,
  PeerLossReason,
  PublishedStream,
  SessionDescription,
  SignalingLink,
} from './ports';
import { Presence, UNWATCHED_LINK } from './Presence';
import type { SessionLog } from './SessionLog';

export { LeaveReason } from './events';

/** A server-made SDP offer. Revisions grow by one per negotiation, whoever offered. */
export interface Offer {
  revision: number;
  sdp: string;
}

export interface ParticipantEvents {
  offer: [Offer];
  /** A negotiation finished: seconds from the offer to the applied answer. */
  negotiated: [seconds: number, offeredBy: 'server' | 'client'];
  /** The streams its media peer receives from it changed (after an offer or answer was applied). */
  published: [PublishedStream[]];
  /** It went silent (true: suspect, it may come back) or was heard from again (false). */
  reconnecting: [boolean];
  /** It is leaving: once, synchronously, before its media is released (its room forgets it now). */
  left: [LeaveReason];
  /** Its media is released and the end of its stay is on its way to the database. */
  closed: [];
}

export interface ParticipantOptions {
  /**
   * How long it may be silent on every signal (signaling pongs, media), or go without signaling,
   * before it counts as gone (0: no limit). See Presence.
   */
  participantTimeoutMs: number;
  /** Where its stay is recorded (null: nowhere, for unit tests). */
  sessions: SessionLog | null;
}

/** Highest layer id a client may ask for (simulcast encodings or SVC layers; real streams have 2-4). */
const MAX_LAYER = 15;

const NO_OPTIONS: ParticipantOptions = { participantTimeoutMs: 0, sessions: null };

/**
 * One person in one room: identity and grants, the offer/answer state of its connection, its
 * presence (its `negotiation` subscriptions' connections and its media activity, which say when it
 * is reconnecting and when it is gone) and the record of its stay. It owns its media peer and its
 * Presence and closes them.
 *
 * Negotiation rule (glare): the server's offer wins. While a server offer is pending, a client offer
 * is refused with NEGOTIATION_CONFLICT; the client answers the pending offer (it has it, or gets it
 * from the `negotiation` subscription) and then offers again. The server never waits on the client,
 * so nothing deadlocks, and a track the client wanted to add is only delayed, never dropped.
 */
export class Participant extends TypedEmitter<ParticipantEvents> implements MediaPeerListener {
  readonly id = randomUUID();
  readonly joinedAt = new Date();
  #peer: MediaPeer | undefined;
  #revision = 0;
  #pending: Offer | null = null;
  #offeredAt = 0;
  #offerWanted = false;
  #leftReason: LeaveReason | null = null;
  /** Where its room went when it left with ROOM_MOVED (told to its offers' subscriber). */
  #movedTo: Record<string, unknown> | undefined;
  #closing: Promise<void> | undefined;
  #begun = false;
  readonly #presence: Presence;
  #attributes: Readonly<Record<string, unknown>> = Object.freeze({});

  /** The application's user id from its join token (null in open mode). */
  readonly identity: string | null;
  readonly grants: Readonly<Grants>;

  constructor(
    readonly roomId: string,
    readonly name: string,
    permit: Pick<JoinPermit, 'identity' | 'grants'> = OPEN_PERMIT,
    private readonly options: ParticipantOptions = NO_OPTIONS,
  ) {
    super();
    this.identity = permit.identity;
    this.grants = Object.freeze({ ...permit.grants });
    this.#presence = new Presence(options.participantTimeoutMs, () => this.#peer?.activity() ?? 0, {
      onReconnecting: (reconnecting) => {
        if (this.present) this.emit('reconnecting', reconnecting);
      },
      onGone: (reason) => void this.close(reason),
    });
  }

  /** Silent for a while: it may come back (PARTICIPANT_RECONNECTING) or be removed at the timeout. */
  get reconnecting(): boolean {
    return this.present && this.#presence.reconnecting;
  }

  get hasPeer(): boolean {
    return this.#peer !== undefined;
  }

  get peer(): MediaPeer {
    if (!this.#peer) throw new Error('participant has no media peer yet');
    return this.#peer;
  }

  /** Takes ownership of its media peer (made from its first offer, with this as its listener). */
  connect(peer: MediaPeer): void {
    this.#peer = peer;
  }

  get present(): boolean {
    return this.#leftReason === null;
  }

  get leftReason(): LeaveReason | null {
    return this.#leftReason;
  }

  /** The server offer awaiting an answer, if any. */
  get pendingOffer(): Offer | null {
    return this.#pending;
  }

  /** What its media peer receives from it (the room decides what of it is forwarded). */
  sentStreams(): PublishedStream[] {
    return this.#peer?.publishedStreams() ?? [];
  }

  /** What the application or the page says about it (a raised hand, a role): small JSON. */
  get attributes(): Readonly<Record<string, unknown>> {
    return this.#attributes;
  }

  /** Applies an attribute patch (null removes a key); returns whether anything changed. */
  setAttributes(patch: Record<string, unknown>): boolean {
    this.#assertPresent();
    const next = mergeAttributes(this.#attributes, patch);
    if (JSON.stringify(next) === JSON.stringify(this.#attributes)) return false;
    this.#attributes = Object.freeze(next);
    return true;
  }

  isMuted(trackId: string): boolean {
    return this.#peer?.isTrackMuted(trackId) ?? false;
  }

  /**
   * Mutes or unmutes one of its tracks for everyone. Returns the stream of the track and whether
   * anything changed; TRACK_NOT_FOUND when it sends no such track.
   */
  setMuted(trackId: string, muted: boolean): { streamId: string; changed: boolean } {
    this.#assertPresent();
    const stream = this.sentStreams().find((candidate) =>
      candidate.tracks.some((track) => track.id === trackId),
    );
    if (!stream)
      throw new DomainError(ErrorCode.TRACK_NOT_FOUND, `This participant publishes no track "${trackId}".`);
    const changed = muted !== this.isMuted(trackId);
    // A muted track is forwarded to nobody, whoever muted it.
    this.peer.setTrackMuted(trackId, muted);
    return { streamId: stream.id, changed };
  }

  /**
   * Pins the layer of the video of a stream it receives: for simulcast, `spatial` indexes the
   * publisher's encodings, lowest resolution first; for SVC it is the spatial layer; `temporal` is
   * the temporal layer. Null for both hands the choice back to its bandwidth. STREAM_NOT_FOUND for a
   * stream it does not receive; BAD_USER_INPUT for a layer outside 0-15 (a layer above the highest
   * sent means the highest).
   */
  preferLayer(streamId: string, spatial: number | null, temporal: number | null): void {
    this.#assertPresent();
    for (const layer of [spatial, temporal]) {
      if (layer !== null && (!Number.isInteger(layer) || layer < 0 || layer > MAX_LAYER)) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          `A layer is a whole number from 0 to ${MAX_LAYER}, or null for automatic.`,
        );
      }
    }
    if (!this.peer.subscribedStreamIds().includes(streamId)) {
      throw new DomainError(
        ErrorCode.STREAM_NOT_FOUND,
        `Participant "${this.id}" does not receive a stream "${streamId}".`,
      );
    }
    this.peer.setPreferredLayer(streamId, spatial, temporal);
  }

  /** Makes a server offer now, or right after the pending one is answered. */
  requestOffer(): void {
    if (!this.present || !this.#peer) return;
    if (this.#pending || this.#peer.signalingState === 'remote-offer') {
      this.#offerWanted = true;
      return;
    }
    this.#offerWanted = false;
    const offer = { revision: ++this.#revision, sdp: this.#peer.createOffer() };
    this.#pending = offer;
    this.#offeredAt = performance.now();
    this.emit('offer', offer);
  }

  /** `answer` reads the client's SDP: called once the revision checks passed, so they are reported first. */
  acceptAnswer(revision: number, answer: () => SessionDescription): void {
    this.#assertPresent();
    const pending = this.#pending;
    if (!pending) {
      if (revision < this.#revision) throw this.#stale(revision);
      throw new DomainError(ErrorCode.NO_PENDING_OFFER, 'There is no server offer waiting for an answer.', {
        revision: this.#revision,
      });
    }
    if (revision !== pending.revision) throw this.#stale(revision);
    this.peer.processAnswer(answer());
    this.#pending = null;
    this.emit('negotiated', (performance.now() - this.#offeredAt) / 1000, 'server');
    if (this.#offerWanted) this.requestOffer();
  }

  /** Applies a client offer (`offer` reads it, after the glare check); returns the answer and its revision. */
  acceptOffer(offer: () => SessionDescription): { answer: string; revision: number } {
    this.#assertPresent();
    if (this.#pending) {
      throw new DomainError(
        ErrorCode.NEGOTIATION_CONFLICT,
        `Server offer ${this.#pending.revision} is waiting for your answer; answer it, then offer again.`,
        { pendingRevision: this.#pending.revision },
      );
    }
    const started = performance.now();
    const answer = this.peer.processOffer(offer());
    const revision = ++this.#revision;
    this.emit('negotiated', (performance.now() - started) / 1000, 'client');
    if (this.#offerWanted) queueMicrotask(() => this.requestOffer());
    return { answer, revision };
  }

  // The media peer's listener.

  onPublishedChanged(streams: PublishedStream[]): void {
    if (this.present) this.emit('published', streams);
  }

  onRenegotiationNeeded(): void {
    this.requestOffer();
  }

  onLost(reason: PeerLossReason): void {
    void this.close(reason);
  }

  /** Its stay starts (it is in the room now): recorded, and its presence is watched. */
  begin(): void {
    if (this.#begun || !this.present) return;
    this.#begun = true;
    this.options.sessions?.started({
      id: this.id,
      roomId: this.roomId,
      displayName: this.name,
      identity: this.identity,
      joinedAt: this.joinedAt,
    });
    this.#presence.start();
  }

  /**
   * Server offers for this participant: the pending one first (made before the client subscribed,
   * or while its connection was down), then each new one. Ends when the participant leaves. `link`
   * is the connection that carries it: its liveness is the participant's signaling presence.
   */
  offers(link: SignalingLink = UNWATCHED_LINK): AsyncIterableIterator<Offer> {
    const detach = this.present ? this.#presence.attach(link) : () => undefined;
    const offOffer = this.on('offer', (offer) => queue.push(offer));
    // A room moving to another node (drain) ends the offers with a coded notice: where to rejoin.
    const offLeft = this.on('left', (reason) =>
      reason === LeaveReason.ROOM_MOVED
        ? queue.fail(
            new DomainError(
              ErrorCode.ROOM_MOVED,
              'The room moved to another node: join it again (the url says where).',
              { roomId: this.roomId, ...this.#movedTo },
            ),
          )
        : queue.end(),
    );
    const queue = new AsyncEventQueue<Offer>(() => {
      offOffer();
      offLeft();
      detach();
    });
    if (this.#pending) queue.push(this.#pending);
    if (!this.present) queue.end();
    return queue;
  }

  /**
   * Out of the room now, for whoever asked to leave: close does that part synchronously (members,
   * streams, PARTICIPANT_LEFT, the stay's end). Releasing the medooze transport takes 10-15 ms more
   * of timers; it goes on in the background and shutdown waits for it (MediaEngine.settled).
   * Before, `leave` waited for it too: 12.3 ms p50.
   */
  leave(reason: LeaveReason): void {
    this.close(reason).catch((err: unknown) =>
      logger.error({ err, participantId: this.id }, 'releasing a participant failed'),
    );
  }

  /**
   * Leaves, whatever the cause: tells its room at once ('left'), releases its media, records the end
   * of its stay. Idempotent: later calls return the first one's promise.
   */
  close(reason: LeaveReason, movedTo?: Record<string, unknown>): Promise<void> {
    this.#closing ??= (async () => {
      this.#movedTo = movedTo;
      this.#leftReason = reason;
      this.#pending = null;
      this.#presence.stop();
      this.emit('left', reason);
      // The stay ended now; its record is queued at once rather than after the media is released.
      if (this.#begun) this.options.sessions?.ended(this.id, new Date(), reason);
      await this.#peer?.close();
      this.emit('closed');
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  #stale(revision: number): DomainError {
    return new DomainError(
      ErrorCode.STALE_OFFER,
      `Offer ${revision} is outdated; the current negotiation is revision ${this.#pending?.revision ?? this.#revision}.`,
      { revision: this.#pending?.revision ?? this.#revision },
    );
  }

  #assertPresent(): void {
    if (!this.present)
      throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, `Participant "${this.id}" has left.`);
  }
}
