import { DomainError, ErrorCode } from '../shared/errors';
import type { VideoCodec } from './codecs';
import { TypedEmitter } from '../shared/TypedEmitter';
import { type RoomEvent, RoomEventType } from './events';
import type { Participant } from './Participant';
import type { JoinPermit } from './grants';
import type { PublishedStream, RoomBan } from './ports';
import type { RoomRecord } from './records';

export interface RoomEvents {
  /** Every room event, in sequence order. */
  event: [RoomEvent];
  /** Emitted once, after ROOM_CLOSED, when the room holds nothing any more. */
  closed: [];
}

/**
 * The live state of one open room. The database holds its record and history;
 * this object holds what only exists while the room is open.
 */
export class Room extends TypedEmitter<RoomEvents> {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly maxParticipants: number;
  readonly videoCodec: VideoCodec;
  readonly simulcast: boolean;
  readonly metadata: Record<string, unknown> | null;
  #closedAt: Date | null = null;
  #sequence = 0;
  readonly #participants = new Map<string, Participant>();
  /** What each participant publishes, as last announced to the others. */
  readonly #published = new Map<string, PublishedStream[]>();
  #activeSpeaker: Participant | null = null;
  #closing = false;
  /** Joins admitted past the capacity check but not in the room yet (media and session being set up). */
  #reserved = 0;

  /** Banned identities and when: their tokens issued before that moment no longer open the room. */
  readonly #bans = new Map<string, Date>();

  /**
   * `lastSequence`: the room's latest stored event, so numbering continues across restarts.
   * `bans`: the room's stored bans.
   */
  constructor(record: RoomRecord, lastSequence = 0, bans: RoomBan[] = []) {
    super();
    for (const ban of bans) this.#bans.set(ban.identity, ban.bannedAt);
    this.simulcast = record.simulcast;
    this.#sequence = lastSequence;
    this.id = record.id;
    this.name = record.name;
    this.createdAt = record.createdAt;
    this.maxParticipants = record.maxParticipants;
    this.videoCodec = record.videoCodec;
    this.metadata = record.metadata;
    this.#closedAt = record.closedAt;
  }

  get closed(): boolean {
    return this.#closedAt !== null;
  }

  get participants(): Participant[] {
    return [...this.#participants.values()];
  }

  participant(id: string): Participant | undefined {
    return this.#participants.get(id);
  }

  /**
   * BANNED for an identity kicked with a ban by a token issued before the ban (JWT `iat` has whole
   * seconds, so a token issued in the second of the ban counts as before it).
   */
  assertAdmissible(permit: JoinPermit): void {
    if (permit.identity === null) return;
    const bannedAt = this.#bans.get(permit.identity);
    if (!bannedAt) return;
    if (!permit.issuedAt || permit.issuedAt.getTime() <= bannedAt.getTime()) {
      throw new DomainError(
        ErrorCode.BANNED,
        `"${permit.identity}" was banned from room "${this.id}"; a token issued before the ban cannot rejoin.`,
      );
    }
  }

  ban(identity: string, at: Date): void {
    this.#bans.set(identity, at);
  }

  /**
   * Holds a place for a joiner, synchronously, so two joins at the same instant cannot both
   * take the last place. Every reservation ends in `admit` or `release`.
   */
  reserve(): void {
    this.assertOpen();
    if (this.#participants.size + this.#reserved >= this.maxParticipants) {
      throw new DomainError(
        ErrorCode.ROOM_FULL,
        `Room "${this.id}" is full (${this.maxParticipants} participants).`,
        {
          maxParticipants: this.maxParticipants,
        },
      );
    }
    this.#reserved++;
  }

  get activeSpeaker(): Participant | null {
    return this.#activeSpeaker;
  }

  /** Records who speaks now (ACTIVE_SPEAKER_CHANGED), when it is someone else in the room. */
  setActiveSpeaker(speaker: Participant): void {
    if (speaker === this.#activeSpeaker || !this.#participants.has(speaker.id)) return;
    this.#activeSpeaker = speaker;
    this.record({
      type: RoomEventType.ACTIVE_SPEAKER_CHANGED,
      participantId: speaker.id,
      participantName: speaker.name,
    });
  }

  /** Joins being set up right now. */
  get reserved(): number {
    return this.#reserved;
  }

  release(): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
  }

  /**
   * Stream ids name streams for every receiver, so one id belongs to one publisher in a room:
   * INVALID_SDP for a joiner whose offer reuses an id someone here already publishes.
   */
  assertStreamIdsFree(streams: PublishedStream[]): void {
    for (const stream of streams) {
      if (this.#publisherOf(stream.id)) {
        throw new DomainError(
          ErrorCode.INVALID_SDP,
          `Stream id "${stream.id}" is already published in this room.`,
        );
      }
    }
  }

  #publisherOf(streamId: string): string | undefined {
    for (const [participantId, streams] of this.#published) {
      if (streams.some((stream) => stream.id === streamId)) return participantId;
    }
    return undefined;
  }

  /** Turns a reservation into a member: it receives everyone's streams and everyone receives its own. */
  admit(joiner: Participant): void {
    this.release();
    this.assertOpen();
    this.#participants.set(joiner.id, joiner);
    this.record({
      type: RoomEventType.PARTICIPANT_JOINED,
      participantId: joiner.id,
      participantName: joiner.name,
    });
    for (const [publisherId, streams] of this.#published) {
      const publisher = this.#participants.get(publisherId);
      if (!publisher || !joiner.grants.canSubscribe) continue;
      for (const stream of streams) joiner.peer.subscribe(publisher.peer, stream.id);
    }
    this.#published.set(joiner.id, []);
    this.updatePublished(joiner, joiner.streams());
  }

  /** Applies a participant's new set of published streams: others subscribe or unsubscribe. */
  updatePublished(publisher: Participant, streams: PublishedStream[]): void {
    const before = this.#published.get(publisher.id);
    if (!before || this.closed) return;
    // A stream id someone else already publishes is not forwarded (it would be ambiguous for receivers).
    streams = streams.filter((stream) => {
      const owner = this.#publisherOf(stream.id);
      return owner === undefined || owner === publisher.id;
    });
    const beforeIds = new Set(before.map((stream) => stream.id));
    const afterIds = new Set(streams.map((stream) => stream.id));
    this.#published.set(publisher.id, streams);
    for (const stream of before) if (!afterIds.has(stream.id)) this.#unpublish(publisher, stream.id);
    for (const stream of streams) {
      if (beforeIds.has(stream.id)) continue;
      for (const other of this.#participants.values()) {
        if (other !== publisher && other.grants.canSubscribe) other.peer.subscribe(publisher.peer, stream.id);
      }
      this.record({
        type: RoomEventType.STREAM_PUBLISHED,
        participantId: publisher.id,
        participantName: publisher.name,
        streamId: stream.id,
      });
    }
  }

  /** Takes a participant out: its streams stop reaching the others. Returns false if it was not in. */
  remove(participant: Participant, reason: string): boolean {
    if (!this.#participants.has(participant.id)) return false;
    for (const stream of this.#published.get(participant.id) ?? []) this.#unpublish(participant, stream.id);
    this.#published.delete(participant.id);
    this.#participants.delete(participant.id);
    if (this.#activeSpeaker === participant) this.#activeSpeaker = null;
    this.record({
      type: RoomEventType.PARTICIPANT_LEFT,
      participantId: participant.id,
      participantName: participant.name,
      reason,
    });
    return true;
  }

  /** Announces a publisher's mute state change of one of its tracks. */
  recordMuted(
    publisher: Participant,
    streamId: string,
    trackId: string,
    muted: boolean,
    by: 'PUBLISHER' | 'MODERATOR' = 'PUBLISHER',
  ): void {
    if (!this.#participants.has(publisher.id)) return;
    this.record({
      type: muted ? RoomEventType.TRACK_MUTED : RoomEventType.TRACK_UNMUTED,
      participantId: publisher.id,
      participantName: publisher.name,
      streamId,
      trackId,
      reason: by,
    });
  }

  /** The participant here that publishes `trackId`, with the stream it belongs to. */
  publisherOfTrack(trackId: string): { publisher: Participant; streamId: string } | undefined {
    for (const [participantId, streams] of this.#published) {
      const stream = streams.find((candidate) => candidate.tracks.some((track) => track.id === trackId));
      const publisher = this.#participants.get(participantId);
      if (stream && publisher) return { publisher, streamId: stream.id };
    }
    return undefined;
  }

  #unpublish(publisher: Participant, streamId: string): void {
    for (const other of this.#participants.values()) {
      if (other !== publisher) other.peer.unsubscribe(streamId);
    }
    this.record({
      type: RoomEventType.STREAM_UNPUBLISHED,
      participantId: publisher.id,
      participantName: publisher.name,
      streamId,
    });
  }

  toRecord(): RoomRecord {
    return {
      id: this.id,
      name: this.name,
      createdAt: this.createdAt,
      closedAt: this.#closedAt,
      maxParticipants: this.maxParticipants,
      videoCodec: this.videoCodec,
      simulcast: this.simulcast,
      metadata: this.metadata,
    };
  }

  assertOpen(): void {
    if (this.closed || this.#closing)
      throw new DomainError(ErrorCode.ROOM_CLOSED, `Room "${this.id}" is closed.`);
  }

  /**
   * Shuts the door before the slow part of closing (database, removing everyone): from now on joins
   * fail with ROOM_CLOSED, so nobody gets in between the last removal and `close()`.
   */
  beginClosing(): void {
    this.assertOpen();
    this.#closing = true;
  }

  /** Reopens the door when closing failed (e.g. the database was unreachable). */
  abortClosing(): void {
    this.#closing = false;
  }

  /** Closes the room (its participants must have been removed first): idempotent. */
  close(at = new Date()): boolean {
    if (this.closed) return false;
    this.#reserved = 0;
    this.#closedAt = at;
    this.record({ type: RoomEventType.ROOM_CLOSED });
    this.emit('closed');
    this.removeAllListeners();
    return true;
  }

  protected record(event: Omit<RoomEvent, 'roomId' | 'sequence' | 'at'>): RoomEvent {
    const full: RoomEvent = { roomId: this.id, sequence: ++this.#sequence, at: new Date(), ...event };
    this.emit('event', full);
    return full;
  }
}
