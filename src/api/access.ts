import type { AccessTokens, VerifiedToken } from '../access/AccessTokens';
import type { ParticipantTokens } from '../access/ParticipantTokens';
import type { ConferenceService } from '../conference/ConferenceService';
import { type JoinPermit, OPEN_PERMIT } from '../conference/grants';
import { EVERYTHING, type Viewer } from '../conference/messages';
import type { Participant } from '../conference/Participant';
import { DomainError, ErrorCode } from '../shared/errors';
import type { ClusterGateway, RemoteParticipant } from './cluster/gateway';

type Caller =
  | { kind: 'none' }
  | Extract<VerifiedToken, { kind: 'admin' }>
  | Extract<VerifiedToken, { kind: 'join' }>
  | { kind: 'participant'; participant: Participant }
  /** Cluster: a participant whose room another node holds (known by its token's digest). */
  | { kind: 'remote'; participant: RemoteParticipant };

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message);

/**
 * Who may do what, for one request or socket. Open mode lets everyone do everything (participant
 * operations still need the participant's own token, as in every mode). Secured mode knows three
 * kinds of bearer: admin tokens (the application: everything), join tokens (one room: join it, read
 * it, follow its events, moderate it with roomAdmin) and participant tokens from `join` (the same,
 * for the participant's room, while it is in it).
 */
/** Who holds a subscription: what ends it (a kick of that participant or identity, the token's expiry). */
export interface SubscriptionOwner {
  participantId?: string;
  roomId?: string;
  identity?: string;
  /** A join or admin token's `exp`: its subscriptions end then (TOKEN_EXPIRED). */
  expiresAt?: Date;
}

export class Access {
  #caller: Caller | undefined;
  /** Ban checks already made in this request, by room. */
  readonly #banChecks = new Map<string, Promise<void>>();
  /** Rooms whose ban check passed in this request: later fields of the room answer at once. */
  readonly #notBanned = new Set<string>();

  constructor(
    private readonly conference: ConferenceService,
    /** null in open mode. */
    private readonly tokens: AccessTokens | null,
    private readonly participantTokens: ParticipantTokens,
    private readonly token: string | undefined,
    /** The client's address: the rate-limit key of anonymous callers. */
    private readonly address = 'unknown',
    private readonly cluster: ClusterGateway | null = null,
  ) {}

  /** Cluster: a participant token whose participant another node holds, looked up once (async). */
  #remote: RemoteParticipant | undefined;

  /**
   * Cluster: finds the participant of a participant token whose room another node holds, so that
   * reading checks (requireRoom, viewer, subscriptionOwner) know it. Call before them where the
   * operation is answered here for a room held elsewhere (roomEvents).
   */
  async identifyAcrossNodes(): Promise<void> {
    if (!this.cluster || !this.token || JWT_SHAPE.test(this.token)) return;
    if (this.participantTokens.participantOf(this.token)) return;
    this.#remote = (await this.cluster.participantByToken(this.token)) ?? undefined;
  }

  /** Who is counted for per-caller rate limits (moderation): the identity, else the address. */
  rateKey(): string {
    if (!this.secured) return `address:${this.address}`;
    const caller = this.#identify();
    if (caller.kind === 'admin') return 'admin';
    if (caller.kind === 'join') return `join:${caller.room}:${caller.identity}`;
    if (caller.kind === 'remote') return `participant:${caller.participant.participantId}`;
    return `participant:${caller.participant.id}`;
  }

  get secured(): boolean {
    return this.tokens !== null;
  }

  /**
   * A participant's own operations (answer, renegotiate, mute, leave, its offers) need its token
   * from `join`, in every mode. A signed token is checked first, so an expired or forged one says so.
   */
  participant(participantId: string): Participant {
    if (this.tokens && this.token && JWT_SHAPE.test(this.token)) {
      this.tokens.verify(this.token);
      throw forbidden(
        "This operation needs the participant's own token from `join`, not a join or admin token.",
      );
    }
    if (!this.token)
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'This operation needs the participant token from `join`.',
      );
    const participant = this.conference.participant(participantId);
    if (!this.participantTokens.owns(participant.id, this.token))
      throw forbidden('This token does not belong to that participant.');
    return participant;
  }

  /**
   * Who reads events and chat, for private messages: an admin token reads everything; a participant
   * token or a join token reads as that person; anyone else (open mode without a token too) reads
   * the public part only, so a private message is private in every mode.
   */
  viewer(): Viewer {
    const participantId = this.token ? this.participantTokens.participantOf(this.token) : undefined;
    const participant = participantId ? this.conference.registry.participant(participantId) : undefined;
    if (participant) {
      return { kind: 'person', participantIds: new Set([participant.id]), identity: participant.identity };
    }
    if (this.#remote) {
      const remote = this.#remote;
      return { kind: 'person', participantIds: new Set([remote.participantId]), identity: remote.identity };
    }
    if (!this.secured) return { kind: 'anonymous' };
    const caller = this.#identify();
    if (caller.kind === 'admin') return EVERYTHING;
    if (caller.kind === 'join')
      return { kind: 'person', participantIds: new Set(), identity: caller.identity };
    return { kind: 'anonymous' };
  }

  /** Server-wide operations (creating and listing rooms). */
  requireAdmin(): void {
    if (!this.secured) return;
    const caller = this.#identify();
    if (caller.kind !== 'admin') throw forbidden('This operation needs an admin token.');
  }

  /** Reading a room, its participants, history and events. BANNED for a banned identity's join token. */
  async requireRoom(roomId: string): Promise<void> {
    await this.checkRoomReader(roomId);
  }

  /**
   * `requireRoom` for every field of a room, participant or stay (see guardRoomReaders): throws at
   * once when the caller may not read the room, returns nothing when it may, and a promise only
   * while a join token's ban check for that room is running (once per request and room).
   */
  checkRoomReader(roomId: string): Promise<void> | undefined {
    if (!this.secured) return undefined;
    const caller = this.#identify();
    if (caller.kind === 'admin') return undefined;
    if (this.#roomOf(caller) !== roomId) throw forbidden(`This token does not open room "${roomId}".`);
    if (caller.kind !== 'join' || this.#notBanned.has(roomId)) return undefined;
    return this.#requireNotBanned(caller, roomId);
  }

  /** Moderation of a room: kicking, banning, muting others, closing it. */
  async requireRoomAdmin(roomId: string): Promise<void> {
    if (!this.secured) return;
    this.requireModerator();
    const caller = this.#identify();
    if (caller.kind === 'admin') return;
    if (this.#roomOf(caller) !== roomId) throw forbidden(`This token does not open room "${roomId}".`);
    await this.#requireNotBanned(caller, roomId);
  }

  /** What ends the caller's subscriptions: kicks of its participant or identity, its token's expiry. */
  subscriptionOwner(): SubscriptionOwner {
    if (!this.secured) {
      if (!this.token) return {};
      const participantId = this.participantTokens.participantOf(this.token) ?? this.#remote?.participantId;
      return participantId ? { participantId } : {};
    }
    const caller = this.#identify();
    if (caller.kind === 'admin') return { expiresAt: caller.expiresAt };
    if (caller.kind === 'join') {
      return { roomId: caller.room, identity: caller.identity, expiresAt: caller.expiresAt };
    }
    if (caller.kind === 'remote') {
      const { participant } = caller;
      return {
        participantId: participant.participantId,
        roomId: participant.roomId,
        identity: participant.identity ?? undefined,
      };
    }
    const { participant } = caller;
    return {
      participantId: participant.id,
      roomId: participant.roomId,
      identity: participant.identity ?? undefined,
    };
  }

  /**
   * A join token whose identity was banned from its room after the token was issued opens nothing
   * there any more (not only `join`). A participant of a banned identity was removed by the ban.
   */
  #requireNotBanned(caller: Caller, roomId: string): Promise<void> {
    if (caller.kind !== 'join') return Promise.resolve();
    let check = this.#banChecks.get(roomId);
    if (!check) {
      check = this.conference.isBanned(roomId, caller.identity, caller.issuedAt).then((banned) => {
        if (banned) {
          throw new DomainError(
            ErrorCode.BANNED,
            `"${caller.identity}" was banned from room "${roomId}"; a token issued before the ban opens nothing there.`,
          );
        }
        this.#notBanned.add(roomId);
      });
      this.#banChecks.set(roomId, check);
    }
    return check;
  }

  /** Some moderation right (admin, or roomAdmin of some room): checked before looking targets up. */
  requireModerator(): void {
    if (!this.secured) return;
    const caller = this.#identify();
    if (caller.kind === 'admin') return;
    const grants =
      caller.kind === 'join'
        ? caller.grants
        : caller.kind === 'participant'
          ? caller.participant.grants
          : null; // a participant held on another node moderates there (the operation is forwarded)
    if (!grants?.roomAdmin) throw forbidden('Moderation needs the roomAdmin grant.');
  }

  /** The room a non-admin caller belongs to (where `muteTrack` looks when no room is named). */
  callerRoom(): string | undefined {
    if (!this.secured) return undefined;
    const caller = this.#identify();
    return caller.kind === 'admin' ? undefined : this.#roomOf(caller);
  }

  /** Who joins `roomId` and with what grants: anyone with everything in open mode, else the join token's. */
  joinPermit(roomId: string): JoinPermit {
    if (!this.secured) return OPEN_PERMIT;
    const caller = this.#identify();
    if (caller.kind !== 'join') throw forbidden('Joining needs a join token for the room.');
    if (caller.room !== roomId)
      throw forbidden(`This join token is for room "${caller.room}", not "${roomId}".`);
    return { identity: caller.identity, name: caller.name, grants: caller.grants, issuedAt: caller.issuedAt };
  }

  #roomOf(caller: Caller): string | undefined {
    if (caller.kind === 'join') return caller.room;
    // Its token is revoked when it leaves, so a caller known as a participant was present when
    // this request began: what the request returns (a room it just closed, say) stays readable.
    if (caller.kind === 'participant' || caller.kind === 'remote') return caller.participant.roomId;
    return undefined;
  }

  /** UNAUTHENTICATED without a token; INVALID_TOKEN / TOKEN_EXPIRED for a bad one. */
  #identify(): Exclude<Caller, { kind: 'none' }> {
    this.#caller ??= this.#resolve();
    if (this.#caller.kind === 'none') {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'This operation needs an access token: `Authorization: Bearer <token>`.',
      );
    }
    return this.#caller;
  }

  #resolve(): Caller {
    if (!this.token || !this.tokens) return { kind: 'none' };
    if (JWT_SHAPE.test(this.token)) return this.tokens.verify(this.token);
    const participantId = this.participantTokens.participantOf(this.token);
    const participant = participantId ? this.conference.registry.participant(participantId) : undefined;
    if (!participant && this.#remote) return { kind: 'remote', participant: this.#remote };
    if (!participant) {
      throw new DomainError(
        ErrorCode.INVALID_TOKEN,
        'Unknown access token (a participant token stops working when its participant leaves).',
      );
    }
    return { kind: 'participant', participant };
  }
}
