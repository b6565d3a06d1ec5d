import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { TypedEmitter } from '../shared/TypedEmitter';
import { ActiveSpeaker } from './ActiveSpeaker';
import { composeMessage } from './messages';
import type { VideoCodec } from './codecs';
import { MemberStreams } from './MemberStreams';
import { LeaveReason, type RoomEvent, RoomEventType } from './events';
import type { JoinPermit } from './grants';
import type { Participant } from './Participant';
import type { MediaPeerFactory, PublishedStream, RoomBan, RoomEventRepository } from './ports';
import type { RecordingServices } from './Recording';
import type { RoomRecord } from './records';
import type { RetryPolicy, WriterRegistry } from './RetryingWriter';
import { type NewRoomEvent, RoomEventLog } from './RoomEventLog';
import type { RoomEventStream } from './RoomEventStream';
import { RoomBans } from './RoomBans';
import { RoomRecordings } from './RoomRecordings';
import { RoomSeats } from './RoomSeats';
import { StreamRouter } from './StreamRouter';

export interface RoomEvents {
  /** Every room event, in sequence order. */
  event: [RoomEvent];
  participantJoined: [Participant];
  participantLeft: [Participant, LeaveReason];
  /** Nobody has been in the room for the empty-room timeout: its owner may close it. */
  idle: [];
  /** Emitted once, after ROOM_CLOSED (or at shutdown), when the room holds nothing any more. */
  closed: [];
}

/** What a room needs from its owner. */
export interface RoomServices {
  media: Pick<MediaPeerFactory, 'createSpeakerDetector'>;
  events: RoomEventRepository;
  /** Where its event log's writer reports (health, metrics). */
  writers: WriterRegistry | null;
  /** An open room nobody is in says `idle` after this long (0: never). */
  emptyTimeoutMs: number;
  retryPolicy?: RetryPolicy;
  /** Told when some of its events are stored. */
  onEventsStored?: (roomId: string, through: number, events: readonly RoomEvent[]) => void;
  /** Where recordings are written and stored (absent: recording is unavailable). */
  recordings?: RecordingServices;
}

/**
 * The live state of one open room and everything it owns: its members, who receives whose streams,
 * its bans, its event log, its active speaker detector and its empty-room timer. The database holds
 * its record and history. Members tell the room when they leave; closing the room closes them.
 */
export class Room extends TypedEmitter<RoomEvents> {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly maxParticipants: number;
  readonly videoCodec: VideoCodec;
  readonly simulcast: boolean;
  readonly metadata: Record<string, unknown> | null;
  readonly log: RoomEventLog;
  /** Its recording, if one runs: it records every member's streams. */
  readonly recordings: RoomRecordings;
  #closedAt: Date | null;
  /** Its members and the places held for joiners, within its capacity; its empty-room timer. */
  readonly #seats: RoomSeats;
  /** Who receives whose streams, what the recording and the speaker detector follow. */
  readonly #streams: MemberStreams;
  readonly #bans: RoomBans;
  #closing = false;
  #stopped = false;

  /**
   * `lastSequence`: the room's latest stored event, so numbering continues across restarts.
   * `bans`: the room's stored bans.
   */
  constructor(
    record: RoomRecord,
    private readonly services: RoomServices,
    lastSequence = 0,
    bans: RoomBan[] = [],
  ) {
    super();
    this.#bans = new RoomBans(record.id, bans);
    this.id = record.id;
    this.name = record.name;
    this.createdAt = record.createdAt;
    this.maxParticipants = record.maxParticipants;
    this.videoCodec = record.videoCodec;
    this.simulcast = record.simulcast;
    this.metadata = record.metadata;
    this.#closedAt = record.closedAt;
    this.#seats = new RoomSeats(
      record.id,
      record.maxParticipants,
      services.emptyTimeoutMs,
      () => !this.closed && !this.#closing && !this.#stopped,
      () => this.emit('idle'),
    );
    this.log = new RoomEventLog(
      record.id,
      lastSequence,
      services.events,
      services.writers,
      services.retryPolicy,
      services.onEventsStored,
    );
    this.log.on('event', (event) => this.emit('event', event));
    this.recordings = new RoomRecordings(
      record.id,
      services.recordings ?? null,
      (event) => this.#record(event),
      () => this.participants.map((member) => [member, this.#streams.router.publishedBy(member)]),
    );
    this.#streams = new MemberStreams(
      new StreamRouter((event) => this.#record(event)),
      this.recordings,
      new ActiveSpeaker(services.media, this.#seats, (event) => this.#record(event)),
    );
    this.#seats.armEmptyTimer();
  }

  get closed(): boolean {
    return this.#closedAt !== null;
  }

  /** Nobody is in it and nobody is being admitted. */
  get empty(): boolean {
    return this.#seats.empty;
  }

  get participants(): Participant[] {
    return this.#seats.members;
  }

  participant(id: string): Participant | undefined {
    return this.#seats.get(id);
  }

  get activeSpeaker(): Participant | null {
    return this.#streams.speaker.current;
  }

  /** What the room forwards of a member's streams (what it sends, less any refused stream id). */
  streamsOf(participant: Participant): PublishedStream[] {
    return this.#streams.router.publishedBy(participant);
  }

  get publishedStreamCount(): number {
    return this.#streams.router.streamCount;
  }

  /** The member here that publishes `trackId`, with the stream it belongs to. */
  publisherOfTrack(trackId: string): { publisher: Participant; streamId: string } | undefined {
    return this.#streams.router.publisherOfTrack(trackId);
  }

  /** The room's events after `after` (stored, then live), or from now on; ends after ROOM_CLOSED. */
  events(after: number | null): RoomEventStream {
    return this.log.stream(after);
  }

  /** BANNED for an identity kicked with a ban, joining with a token issued before the ban. */
  assertAdmissible(permit: JoinPermit): void {
    this.#bans.assertAdmissible(permit);
  }

  bannedAt(identity: string): Date | undefined {
    return this.#bans.bannedAt(identity);
  }

  /** The member that joined with this identity, if any (one seat per identity). */
  memberWithIdentity(identity: string): Participant | undefined {
    return this.#seats.withIdentity(identity);
  }

  ban(identity: string, at: Date): void {
    this.#bans.ban(identity, at);
  }

  /**
   * Holds a place for a joiner, synchronously, so two joins at the same instant cannot both
   * take the last place. Every reservation ends in `admit` or `release`.
   */
  reserve(): void {
    this.assertOpen();
    this.#seats.reserve();
  }

  release(): void {
    this.#seats.release();
  }

  /** INVALID_SDP for a joiner that sends a stream id someone here already publishes. */
  assertStreamIdsFree(streams: PublishedStream[]): void {
    this.#streams.router.assertStreamIdsFree(streams);
  }

  /** Turns a reservation into a member: it receives everyone's streams and everyone receives its own. */
  admit(joiner: Participant): void {
    this.#seats.endReservation();
    this.assertOpen();
    this.#seats.add(joiner);
    this.#record({
      type: RoomEventType.PARTICIPANT_JOINED,
      participantId: joiner.id,
      participantName: joiner.name,
    });
    joiner.on('published', (streams) => this.#streams.update(joiner, streams));
    joiner.on('left', (reason) => this.#remove(joiner, reason));
    joiner.on('reconnecting', (reconnecting) => {
      if (!this.#seats.has(joiner.id)) return;
      this.#record({
        type: reconnecting ? RoomEventType.PARTICIPANT_RECONNECTING : RoomEventType.PARTICIPANT_RECONNECTED,
        participantId: joiner.id,
        participantName: joiner.name,
      });
    });
    this.#streams.add(joiner);
    joiner.begin();
    this.emit('participantJoined', joiner);
  }

  /** Announces a publisher's mute state change of one of its tracks. */
  recordMuted(
    publisher: Participant,
    streamId: string,
    trackId: string,
    muted: boolean,
    by: 'PUBLISHER' | 'MODERATOR' = 'PUBLISHER',
  ): void {
    if (!this.#seats.has(publisher.id)) return;
    this.#record({
      type: muted ? RoomEventType.TRACK_MUTED : RoomEventType.TRACK_UNMUTED,
      participantId: publisher.id,
      participantName: publisher.name,
      streamId,
      trackId,
      reason: by,
    });
  }

  /**
   * A member says something, to everyone or (`to`: participant ids here) privately. PARTICIPANT_NOT_FOUND
   * for a recipient who is not in the room, BAD_USER_INPUT for empty or oversize text.
   */
  sendMessage(from: Participant, text: string, to: string[] | null): RoomEvent {
    if (!this.#seats.has(from.id)) {
      throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, `Participant "${from.id}" is not in the room.`);
    }
    const message = composeMessage(from, text, to, (id) => this.#seats.get(id));
    const event = this.#record({
      type: RoomEventType.MESSAGE,
      participantId: from.id,
      participantName: from.name,
      message,
    });
    if (!event) throw new DomainError(ErrorCode.ROOM_CLOSED, `Room "${this.id}" is closed.`);
    return event;
  }

  /** Announces a member's new attributes. */
  recordAttributes(participant: Participant): void {
    if (!this.#seats.has(participant.id)) return;
    this.#record({
      type: RoomEventType.PARTICIPANT_ATTRIBUTES_CHANGED,
      participantId: participant.id,
      participantName: participant.name,
      attributes: { ...participant.attributes },
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
    if (this.closed || this.#closing || this.#stopped)
      throw new DomainError(ErrorCode.ROOM_CLOSED, `Room "${this.id}" is closed.`);
  }

  /**
   * Shuts the door before the slow part of closing (database, removing everyone): from now on joins
   * fail with ROOM_CLOSED, so nobody gets in between the last removal and `close()`.
   */
  beginClosing(): void {
    this.assertOpen();
    this.#closing = true;
    this.#seats.cancelEmptyTimer();
  }

  /** Reopens the door when closing failed (e.g. the database was unreachable). */
  abortClosing(): void {
    this.#closing = false;
    if (this.#seats.memberCount === 0) this.#seats.armEmptyTimer();
  }

  /**
   * Closes the room: every member leaves (ROOM_CLOSED), then ROOM_CLOSED is the log's last event and
   * what the room owns stops. Idempotent. Its log outlives it until the database has every event.
   */
  async close(at = new Date()): Promise<void> {
    if (this.closed || this.#stopped) return;
    this.#closing = true;
    // The recording lets go of everyone's streams before they stop (RECORDING_STOPPED first).
    await this.recordings.stop();
    await Promise.all(this.participants.map((member) => member.close(LeaveReason.ROOM_CLOSED)));
    if (this.closed) return;
    this.#closedAt = at;
    this.#seats.clearReservations();
    this.#record({ type: RoomEventType.ROOM_CLOSED });
    this.#release();
  }

  /**
   * Server shutdown: every member leaves (SERVER_SHUTDOWN, or ROOM_MOVED when the room moves to
   * another node) and what the room owns stops; the room stays open in the database and comes back
   * on the next start, or on the node it moved to.
   */
  async shutdown(
    reason: LeaveReason = LeaveReason.SERVER_SHUTDOWN,
    movedTo?: Record<string, unknown>,
  ): Promise<void> {
    if (this.closed || this.#stopped) return;
    this.#stopped = true;
    await this.recordings.stop();
    await Promise.all(this.participants.map((member) => member.close(reason, movedTo)));
    this.#release();
  }

  /** Cluster: a member that was connected to a node that died (the registry ends its stay). */
  recordLostMember(participantId: string, name: string): void {
    this.#record({
      type: RoomEventType.PARTICIPANT_LEFT,
      participantId,
      participantName: name,
      reason: LeaveReason.NODE_FAILURE,
    });
  }

  #release(): void {
    this.#seats.cancelEmptyTimer();
    this.#streams.speaker.stop();
    this.emit('closed');
    this.removeAllListeners();
  }

  #remove(participant: Participant, reason: LeaveReason): void {
    if (!this.#seats.has(participant.id)) return;
    this.#streams.remove(participant);
    this.#seats.delete(participant);
    this.#record({
      type: RoomEventType.PARTICIPANT_LEFT,
      participantId: participant.id,
      participantName: participant.name,
      reason,
    });
    this.emit('participantLeft', participant, reason);
    if (this.#seats.empty) this.#seats.armEmptyTimer();
  }

  #record(event: NewRoomEvent): RoomEvent | undefined {
    if (this.log.closed) {
      logger.warn({ roomId: this.id, type: event.type }, 'event after ROOM_CLOSED ignored');
      return undefined;
    }
    return this.log.append(event);
  }
}
