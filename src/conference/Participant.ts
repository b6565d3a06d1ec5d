import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError, ErrorCode } from '../shared/errors';
import { TypedEmitter } from '../shared/TypedEmitter';
import { type Grants, type JoinPermit, OPEN_PERMIT } from './grants';
import type { MediaPeer, PublishedStream, SessionDescription } from './ports';

/** Why a participant is no longer in its room (stored as the session's leave reason). */
export const LeaveReason = {
  LEFT: 'LEFT',
  DISCONNECTED: 'DISCONNECTED',
  TIMEOUT: 'TIMEOUT',
  /** Its client sent an offer the media server half-applied and could not answer. */
  NEGOTIATION_FAILED: 'NEGOTIATION_FAILED',
  SIGNALING_LOST: 'SIGNALING_LOST',
  ROOM_CLOSED: 'ROOM_CLOSED',
  /** Removed by a moderator (kickParticipant). */
  KICKED: 'KICKED',
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/** A server-made SDP offer. Revisions grow by one per negotiation, whoever offered. */
export interface Offer {
  revision: number;
  sdp: string;
}

export interface ParticipantEvents {
  offer: [Offer];
  /** A negotiation finished: seconds from the offer to the applied answer. */
  negotiated: [seconds: number, offeredBy: 'server' | 'client'];
  left: [LeaveReason];
}

const hash = (token: string) => createHash('sha256').update(token).digest();
/** A token's digest as a map key: tokens are looked up by it, never stored. */
export const tokenDigest = (token: string): string => hash(token).toString('base64url');

/**
 * One person in one room: identity, access token, and the offer/answer state of its connection.
 *
 * Negotiation rule (glare): the server's offer wins. While a server offer is pending, a client offer
 * is refused with NEGOTIATION_CONFLICT; the client answers the pending offer (it has it, or gets it
 * from the `negotiation` subscription) and then offers again. The server never waits on the client,
 * so nothing deadlocks, and a track the client wanted to add is only delayed, never dropped.
 */
export class Participant extends TypedEmitter<ParticipantEvents> {
  readonly id = randomUUID();
  readonly joinedAt = new Date();
  readonly token = randomBytes(32).toString('base64url');
  readonly #tokenHash = hash(this.token);
  readonly tokenDigest = this.#tokenHash.toString('base64url');
  #peer: MediaPeer | undefined;
  #revision = 0;
  #pending: Offer | null = null;
  #offeredAt = 0;
  #offerWanted = false;
  #leftReason: LeaveReason | null = null;
  /** Ids of its own tracks it reported muted. */
  readonly #muted = new Set<string>();

  /** The application's user id from its join token (null in open mode). */
  readonly identity: string | null;
  readonly grants: Readonly<Grants>;

  constructor(
    readonly roomId: string,
    readonly name: string,
    permit: Pick<JoinPermit, 'identity' | 'grants'> = OPEN_PERMIT,
  ) {
    super();
    this.identity = permit.identity;
    this.grants = Object.freeze({ ...permit.grants });
  }

  get hasPeer(): boolean {
    return this.#peer !== undefined;
  }

  get peer(): MediaPeer {
    if (!this.#peer) throw new Error('participant has no media peer yet');
    return this.#peer;
  }

  attach(peer: MediaPeer): void {
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

  streams(): PublishedStream[] {
    return this.#peer?.publishedStreams() ?? [];
  }

  isMuted(trackId: string): boolean {
    return this.#muted.has(trackId);
  }

  /**
   * Records that the publisher muted or unmuted one of its tracks. Returns the stream of the track and
   * whether anything changed; TRACK_NOT_FOUND when it publishes no such track.
   */
  setMuted(trackId: string, muted: boolean): { streamId: string; changed: boolean } {
    this.#assertPresent();
    const stream = this.streams().find((candidate) => candidate.tracks.some((track) => track.id === trackId));
    if (!stream)
      throw new DomainError(ErrorCode.TRACK_NOT_FOUND, `This participant publishes no track "${trackId}".`);
    const changed = muted !== this.#muted.has(trackId);
    if (muted) this.#muted.add(trackId);
    else this.#muted.delete(trackId);
    // A muted track is forwarded to nobody, whoever muted it.
    this.peer.setTrackMuted(trackId, muted);
    return { streamId: stream.id, changed };
  }

  ownsToken(token: string): boolean {
    const candidate = hash(token);
    return timingSafeEqual(candidate, this.#tokenHash);
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

  /** `answer` reads the client's SDP; it is called after the negotiation checks. */
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

  /** Applies a client offer (`offer` reads it, after the negotiation checks); returns answer and revision. */
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

  /** Marks the participant gone (once); the caller releases its media. */
  markLeft(reason: LeaveReason): boolean {
    if (this.#leftReason) return false;
    this.#leftReason = reason;
    this.#pending = null;
    this.emit('left', reason);
    return true;
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
