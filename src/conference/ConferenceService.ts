import { randomUUID } from 'node:crypto';
import { AsyncEventQueue } from '../shared/AsyncEventQueue';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { ConferenceObserver } from './ConferenceObserver';
import { type RoomEvent, RoomEventType } from './events';
import { type Grants, type JoinPermit, OPEN_PERMIT } from './grants';
import { LeaveReason, type Offer, Participant, tokenDigest } from './Participant';
import type {
  MediaPeerFactory,
  PeerLossReason,
  QualitySample,
  QualitySampleRepository,
  PeerStats,
  SpeakerDetector,
  RoomEventRepository,
  RoomRepository,
  SessionDescription,
  SessionRepository,
} from './ports';
import type { Page, PageRequest, RoomRecord, SessionRecord } from './records';
import { QualityRecorder, type QualityRecorderOptions } from './QualityRecorder';
import { Room } from './Room';
import {
  validateDisplayName,
  validateRoomId,
  validateRoomInput,
  validateSdp,
  type RoomInput,
} from './validation';

/** Highest layer id a client may ask for (simulcast encodings or SVC layers; real streams have 2-4). */
const MAX_LAYER = 15;

export interface ConferenceOptions {
  /** Whether joining an unknown room id creates it (the embedded default does). */
  autoCreateRooms: boolean;
  defaultMaxParticipants: number;
  /** Open rooms this server keeps at most (TOO_MANY_ROOMS past it). */
  maxRooms: number;
  /** An open room nobody is in closes after this long (0: never). */
  emptyRoomTimeoutMs: number;
  /** How long a participant may go without a `negotiation` subscriber before it counts as gone. */
  negotiationGraceMs: number;
  /** Call quality sampling (off when absent). */
  quality?: QualityRecorderOptions;
}

export interface JoinResult {
  participant: Participant;
  answer: string;
  token: string;
}

/** The use cases of the conference, independent of how they are called (GraphQL) or stored. */
export class ConferenceService {
  readonly #live = new Map<string, Room>();
  readonly #loading = new Map<string, Promise<Room | null>>();
  readonly #participants = new Map<string, Participant>();
  /** Live participants by the digest of their token (secured mode reads rooms with participant tokens). */
  readonly #byTokenDigest = new Map<string, Participant>();
  /** Per room, the promise of its last event write: events are stored one after another, in order. */
  readonly #eventWrites = new Map<string, Promise<void>>();
  /** Per participant, the write of its session row (its end is written after it). */
  readonly #sessionWrites = new Map<string, Promise<void>>();
  /** Per live room, its active speaker detection. */
  readonly #speakers = new Map<string, SpeakerDetector>();
  /** Per open room nobody is in, the timer that closes it. */
  readonly #emptyTimers = new Map<string, NodeJS.Timeout>();
  /** Open `negotiation` subscriptions per participant, and the timer that ends one left without any. */
  readonly #signaling = new Map<string, { subscribers: number; graceTimer?: NodeJS.Timeout }>();
  #closed = false;
  readonly #quality: QualityRecorder;
  /** Joins, leaves and negotiations across all rooms, for metrics. */
  readonly observer = new ConferenceObserver();

  constructor(
    private readonly roomRepository: RoomRepository,
    private readonly sessionRepository: SessionRepository,
    private readonly eventRepository: RoomEventRepository,
    private readonly qualityRepository: QualitySampleRepository,
    private readonly media: MediaPeerFactory,
    readonly options: ConferenceOptions,
  ) {
    this.#quality = new QualityRecorder(
      qualityRepository,
      () => this.#participants.values(),
      (participant) => participant.peer.stats(),
      options.quality ?? { intervalMs: 0, retentionMs: 0 },
    );
    this.#quality.start();
  }

  /** Call quality samples of a participant (present or gone), oldest first, at most `last`. */
  qualityHistory(participantId: string, last = 360): Promise<QualitySample[]> {
    if (!Number.isInteger(last) || last < 1 || last > 10_000) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`last` must be between 1 and 10000.');
    }
    return this.qualityRepository.listForParticipant(participantId, last);
  }

  /** Sessions left open by a process that died are closed: nobody else will close them. */
  async recover(at = new Date()): Promise<number> {
    const count = await this.sessionRepository.endAllLive(at, 'SERVER_RESTART');
    if (count > 0) logger.info({ count }, 'closed sessions left open by the previous run');
    return count;
  }

  async createRoom(input: RoomInput): Promise<RoomRecord> {
    this.#assertRunning();
    const valid = validateRoomInput(input);
    if ((await this.roomRepository.countOpen()) >= this.options.maxRooms) {
      throw new DomainError(
        ErrorCode.TOO_MANY_ROOMS,
        `This server keeps at most ${this.options.maxRooms} open rooms.`,
      );
    }
    const record = await this.roomRepository.create({
      id: valid.id ?? randomUUID(),
      name: valid.name ?? valid.id ?? 'Room',
      createdAt: new Date(),
      maxParticipants: valid.maxParticipants ?? this.options.defaultMaxParticipants,
      videoCodec: valid.videoCodec ?? 'VP8',
      simulcast: valid.simulcast ?? true,
      metadata: valid.metadata ?? null,
    });
    this.#live.set(record.id, this.#track(new Room(record)));
    return record;
  }

  /** The room's current record; throws ROOM_NOT_FOUND. Closed rooms are returned too (history). */
  async getRoom(id: string): Promise<RoomRecord> {
    const live = this.#live.get(id);
    if (live) return live.toRecord();
    const record = await this.roomRepository.findById(id);
    if (!record) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room with id "${id}".`);
    return record;
  }

  listOpenRooms(page: PageRequest): Promise<Page<RoomRecord>> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > 100) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`first` must be between 1 and 100.');
    }
    return this.roomRepository.listOpen(page);
  }

  async closeRoom(id: string): Promise<RoomRecord> {
    const room = await this.#openRoom(id);
    room.beginClosing();
    const at = new Date();
    try {
      await this.roomRepository.markClosed(id, at);
    } catch (error) {
      room.abortClosing();
      throw error;
    }
    await Promise.all(
      room.participants.map((participant) => this.#leave(participant, LeaveReason.ROOM_CLOSED)),
    );
    room.close(at);
    this.#live.delete(id);
    return room.toRecord();
  }

  /** Current totals over the live rooms. */
  stats(): { rooms: number; participants: number; publishedStreams: number; forwardedStreams: number } {
    let participants = 0;
    let publishedStreams = 0;
    let forwardedStreams = 0;
    for (const room of this.#live.values()) {
      for (const participant of room.participants) {
        participants++;
        publishedStreams += participant.streams().length;
        forwardedStreams += participant.peer.subscribedStreamIds().length;
      }
    }
    return { rooms: this.#live.size, participants, publishedStreams, forwardedStreams };
  }

  /** Bits per second received from all participants and forwarded to them, now (from medooze's stats). */
  bitrates(): { received: number; forwarded: number } {
    let received = 0;
    let forwarded = 0;
    for (const participant of this.#participants.values()) {
      if (!participant.present) continue;
      const { inbound, outbound } = participant.peer.stats();
      for (const track of inbound) received += track.bitrate;
      for (const track of outbound) forwarded += track.bitrate;
    }
    return { received, forwarded };
  }

  /** Who speaks now in a live room (null when nobody was detected yet). */
  activeSpeakerOf(roomId: string): Participant | null {
    return this.#live.get(roomId)?.activeSpeaker ?? null;
  }

  /** Media figures of a participant still in a room; null once it has left. */
  participantStats(participantId: string): PeerStats | null {
    const participant = this.#participants.get(participantId);
    return participant?.present ? participant.peer.stats() : null;
  }

  /** Every stay in the room, oldest first (from the database). */
  sessionsOf(roomId: string): Promise<SessionRecord[]> {
    return this.sessionRepository.listForRoom(roomId);
  }

  /** Participants currently in a live room (none for closed or unloaded rooms). */
  participantsOf(roomId: string): Participant[] {
    return this.#live.get(roomId)?.participants ?? [];
  }

  /**
   * Joins a room with the client's SDP offer; returns the answer and the participant's token.
   * An unknown room is created when the server allows it.
   */
  async join(
    input: { roomId: string; name?: string | null; offer: string },
    permit: JoinPermit = OPEN_PERMIT,
  ): Promise<JoinResult> {
    this.#assertRunning();
    const name = validateDisplayName(permit.name ?? input.name ?? permit.identity ?? '');
    const offer = this.media.parseDescription(validateSdp(input.offer, 'offer'));
    this.#assertMayPublish(permit.grants, offer);
    const room = await this.#roomForJoin(validateRoomId(input.roomId));
    room.assertAdmissible(permit);
    room.reserve();
    const participant = new Participant(room.id, name, permit);
    try {
      participant.attach(
        this.media.create(offer, {
          videoCodec: room.videoCodec,
          simulcast: room.simulcast,
          listener: {
            onPublishedChanged: (streams) => {
              if (!participant.present) return;
              room.updatePublished(participant, streams);
              this.#speakers.get(room.id)?.follow(participant.peer);
            },
            onRenegotiationNeeded: () => participant.requestOffer(),
            onLost: (reason: PeerLossReason) => void this.#leave(participant, reason),
          },
        }),
      );
      room.assertStreamIdsFree(participant.peer.publishedStreams());
    } catch (error) {
      room.release();
      if (participant.hasPeer) await participant.peer.close();
      throw error;
    }
    // The session row is history, not a condition of the call: it is written in the background
    // (a join waits for no database write), and its end is written after it, in #leave.
    this.#sessionWrites.set(
      participant.id,
      this.sessionRepository
        .start({
          id: participant.id,
          roomId: room.id,
          displayName: name,
          identity: participant.identity,
          joinedAt: participant.joinedAt,
        })
        .catch((error: unknown) =>
          logger.error(
            { err: error, participantId: participant.id },
            'could not record the start of a session',
          ),
        ),
    );
    this.#participants.set(participant.id, participant);
    this.#byTokenDigest.set(participant.tokenDigest, participant);
    this.#cancelEmptyTimer(room.id);
    participant.on('negotiated', (seconds, offeredBy) =>
      this.observer.notify('negotiationCompleted', seconds, offeredBy),
    );
    room.admit(participant);
    this.#speakers.get(room.id)?.follow(participant.peer);
    this.observer.notify('participantJoined', room.id);
    this.#armGraceTimer(participant);
    return { participant, answer: participant.peer.answer, token: participant.token };
  }

  /**
   * The participant the token opens. UNAUTHENTICATED without a token, PARTICIPANT_NOT_FOUND for an
   * unknown or departed id, FORBIDDEN when the token belongs to someone else.
   */
  authorize(participantId: string, token: string | undefined): Participant {
    if (!token)
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'This operation needs the participant token from `join`.',
      );
    const participant = this.participant(participantId);
    if (!participant.ownsToken(token))
      throw new DomainError(ErrorCode.FORBIDDEN, 'This token does not belong to that participant.');
    return participant;
  }

  answer(participant: Participant, revision: number, sdp: string): void {
    const answer = validateSdp(sdp, 'sdp');
    // Read after the negotiation checks (NO_PENDING_OFFER, STALE_OFFER come first, as before).
    participant.acceptAnswer(revision, () => this.media.parseDescription(answer));
  }

  renegotiate(participant: Participant, offer: string): { answer: string; revision: number } {
    const sdp = validateSdp(offer, 'offer');
    // Read after the negotiation checks (NEGOTIATION_CONFLICT first, as before); without canPublish,
    // first (FORBIDDEN first, as before).
    if (participant.grants.canPublish) return participant.acceptOffer(() => this.media.parseDescription(sdp));
    const parsed = this.media.parseDescription(sdp);
    this.#assertMayPublish(participant.grants, parsed);
    return participant.acceptOffer(() => parsed);
  }

  /** FORBIDDEN for an offer that sends tracks from someone without the canPublish grant. */
  #assertMayPublish(grants: Grants, offer: SessionDescription): void {
    if (!grants.canPublish && offer.sendsMedia) {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        'This participant may not publish: offer only recvonly (or inactive) media sections.',
      );
    }
  }

  /** A live participant by id; PARTICIPANT_NOT_FOUND for an unknown or departed one. */
  participant(participantId: string): Participant {
    const participant = this.#participants.get(participantId);
    if (!participant)
      throw new DomainError(
        ErrorCode.PARTICIPANT_NOT_FOUND,
        `No participant "${participantId}" is in a room.`,
      );
    return participant;
  }

  /** The live participant whose token this is, if any (tokens die with their participant). */
  participantByToken(token: string): Participant | undefined {
    return this.#byTokenDigest.get(tokenDigest(token));
  }

  /**
   * Removes a participant on a moderator's behalf (PARTICIPANT_LEFT with reason KICKED). With `ban`,
   * its identity cannot come back with any token issued until now; BAD_USER_INPUT for a ban of an
   * anonymous (open mode) participant, which has no identity to ban.
   */
  async kick(participant: Participant, ban: boolean): Promise<void> {
    if (ban) {
      if (participant.identity === null) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          'Only participants with an identity (joined with a join token, in secured mode) can be banned.',
        );
      }
      const at = new Date();
      this.#live.get(participant.roomId)?.ban(participant.identity, at);
      await this.roomRepository.ban(participant.roomId, participant.identity, at);
    }
    await this.#leave(participant, LeaveReason.KICKED);
  }

  /**
   * A moderator mutes someone's track: the server stops forwarding it and tells the room
   * (TRACK_MUTED with reason MODERATOR); the publisher may unmute it with setTrackMuted.
   * TRACK_NOT_FOUND when nobody in the room publishes it.
   */
  async muteTrack(roomId: string, trackId: string): Promise<Participant> {
    const room = await this.#openRoom(roomId);
    const found = room.publisherOfTrack(trackId);
    if (!found)
      throw new DomainError(
        ErrorCode.TRACK_NOT_FOUND,
        `Nobody in room "${roomId}" publishes track "${trackId}".`,
      );
    const { changed, streamId } = found.publisher.setMuted(trackId, true);
    if (changed) room.recordMuted(found.publisher, streamId, trackId, true, 'MODERATOR');
    return found.publisher;
  }

  /**
   * The live room in which a track with this id is published. Track ids are only unique per stream:
   * TRACK_NOT_FOUND when none publishes it, BAD_USER_INPUT when several do (the caller names the room).
   */
  roomOfTrack(trackId: string): string {
    const rooms = [...this.#live.values()].filter((room) => room.publisherOfTrack(trackId));
    if (rooms.length === 0)
      throw new DomainError(ErrorCode.TRACK_NOT_FOUND, `Nobody publishes track "${trackId}".`);
    if (rooms.length > 1) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `Track "${trackId}" is published in several rooms: name the room.`,
      );
    }
    return rooms[0]!.id;
  }

  /**
   * Pins the layer of the video of a stream the participant receives: for simulcast, `spatial`
   * indexes the publisher's encodings, lowest resolution first; for SVC it is the spatial layer;
   * `temporal` is the temporal layer. Null for both hands the choice back to the participant's
   * bandwidth. STREAM_NOT_FOUND for a stream it does not receive; BAD_USER_INPUT for a layer
   * outside 0-15 (a layer above the highest sent means the highest).
   */
  setPreferredLayer(
    participant: Participant,
    streamId: string,
    spatial: number | null,
    temporal: number | null,
  ): void {
    for (const layer of [spatial, temporal]) {
      if (layer !== null && (!Number.isInteger(layer) || layer < 0 || layer > MAX_LAYER)) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          `A layer is a whole number from 0 to ${MAX_LAYER}, or null for automatic.`,
        );
      }
    }
    if (!participant.peer.subscribedStreamIds().includes(streamId)) {
      throw new DomainError(
        ErrorCode.STREAM_NOT_FOUND,
        `Participant "${participant.id}" does not receive a stream "${streamId}".`,
      );
    }
    participant.peer.setPreferredLayer(streamId, spatial, temporal);
  }

  /** A publisher reports that it muted or unmuted one of its own tracks. */
  setTrackMuted(participant: Participant, trackId: string, muted: boolean): void {
    const { streamId, changed } = participant.setMuted(trackId, muted);
    if (changed) this.#live.get(participant.roomId)?.recordMuted(participant, streamId, trackId, muted);
  }

  async leave(participant: Participant): Promise<void> {
    await this.#leave(participant, LeaveReason.LEFT);
  }

  /**
   * Server offers for this participant: the pending one first (made before the client subscribed),
   * then each new one. Ends when the participant leaves.
   */
  negotiation(participant: Participant): AsyncIterableIterator<Offer> {
    const signaling = this.#signalingOf(participant);
    signaling.subscribers++;
    clearTimeout(signaling.graceTimer);
    const offOffer = participant.on('offer', (offer) => queue.push(offer));
    const offLeft = participant.on('left', () => queue.end());
    const queue = new AsyncEventQueue<Offer>(() => {
      offOffer();
      offLeft();
      signaling.subscribers--;
      if (signaling.subscribers === 0) this.#armGraceTimer(participant);
    });
    const pending = participant.pendingOffer;
    if (pending) queue.push(pending);
    if (!participant.present) queue.end();
    return queue;
  }

  /**
   * A room's events until it closes (ROOM_CLOSED is the last one). Without `after`: from now on,
   * for an open room. With `after`: first every stored event with a greater sequence number (closed
   * rooms too), then live ones, with no gap and no duplicate between the two.
   * The caller ends the iteration to unsubscribe.
   */
  async roomEvents(roomId: string, after?: number | null): Promise<AsyncIterableIterator<RoomEvent>> {
    if (after === undefined || after === null) return this.#liveEvents(await this.#openRoom(roomId));
    if (!Number.isInteger(after) || after < 0) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        '`after` is a sequence number: a whole number, 0 or more.',
      );
    }
    let room: Room | undefined;
    try {
      room = await this.#openRoom(roomId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== ErrorCode.ROOM_CLOSED) throw error;
    }
    if (!room) {
      // A closed room: its history is all there is.
      const queue = new AsyncEventQueue<RoomEvent>();
      for (const event of await this.eventRepository.listAfter(roomId, after)) queue.push(event);
      queue.end();
      return queue;
    }
    // Listen first, then read what is stored once every event emitted so far is written:
    // each event is then in the stored part, the live part, or both (sent once).
    const live: RoomEvent[] = [];
    let lastSent = after;
    let replaying = true;
    let unsubscribe = () => undefined as void;
    const queue = new AsyncEventQueue<RoomEvent>(() => unsubscribe());
    const send = (event: RoomEvent) => {
      if (event.sequence <= lastSent) return;
      lastSent = event.sequence;
      queue.push(event);
      if (event.type === RoomEventType.ROOM_CLOSED) queue.end();
    };
    unsubscribe = room.on('event', (event) => (replaying ? live.push(event) : send(event)));
    try {
      await this.#eventWrites.get(roomId);
      for (const event of await this.eventRepository.listAfter(roomId, after)) send(event);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    replaying = false;
    for (const event of live) send(event);
    return queue;
  }

  #liveEvents(room: Room): AsyncIterableIterator<RoomEvent> {
    let unsubscribe = () => undefined as void;
    const queue = new AsyncEventQueue<RoomEvent>(() => unsubscribe());
    unsubscribe = room.on('event', (event) => {
      queue.push(event);
      if (event.type === RoomEventType.ROOM_CLOSED) queue.end();
    });
    return queue;
  }

  /** Closes the room if it is still empty when the timeout passes. */
  #armEmptyTimer(room: Room): void {
    if (this.options.emptyRoomTimeoutMs <= 0 || room.closed || this.#closed) return;
    this.#cancelEmptyTimer(room.id);
    const timer = setTimeout(() => {
      this.#emptyTimers.delete(room.id);
      if (room.closed || room.participants.length > 0 || room.reserved > 0) return;
      this.closeRoom(room.id).catch((error: unknown) =>
        logger.warn({ err: error, roomId: room.id }, 'could not close an empty room'),
      );
    }, this.options.emptyRoomTimeoutMs);
    timer.unref();
    this.#emptyTimers.set(room.id, timer);
  }

  #cancelEmptyTimer(roomId: string): void {
    clearTimeout(this.#emptyTimers.get(roomId));
    this.#emptyTimers.delete(roomId);
  }

  /** Stores every event of a live room, in order; closes it when it stays empty. */
  #track(room: Room): Room {
    this.#armEmptyTimer(room);
    const detector = this.media.createSpeakerDetector((peer) => {
      const speaker = room.participants.find((participant) => participant.peer === peer);
      if (speaker) room.setActiveSpeaker(speaker);
    });
    this.#speakers.set(room.id, detector);
    room.on('closed', () => {
      this.#cancelEmptyTimer(room.id);
      detector.stop();
      this.#speakers.delete(room.id);
    });
    room.on('event', (event) => {
      const previous = this.#eventWrites.get(room.id) ?? Promise.resolve();
      const write = previous
        .then(() => this.eventRepository.append(event))
        .catch((error: unknown) =>
          logger.error(
            { err: error, roomId: room.id, sequence: event.sequence },
            'could not store a room event',
          ),
        );
      this.#eventWrites.set(room.id, write);
    });
    return room;
  }

  /** Resolves when every event emitted so far is stored (shutdown, tests). */
  async flushEvents(): Promise<void> {
    await Promise.all(this.#eventWrites.values());
  }

  /**
   * Ends every participant's media and session (SERVER_SHUTDOWN) and drops live state. Rooms stay
   * open in the database: they outlive a server restart.
   */
  async shutdown(): Promise<void> {
    this.#closed = true;
    await this.#quality.stop();
    await Promise.all(
      [...this.#participants.values()].map((participant) =>
        this.#leave(participant, LeaveReason.SERVER_SHUTDOWN),
      ),
    );
    await this.flushEvents();
    for (const roomId of [...this.#emptyTimers.keys()]) this.#cancelEmptyTimer(roomId);
    for (const detector of this.#speakers.values()) detector.stop();
    this.#speakers.clear();
    this.#live.clear();
  }

  /** Removes a participant, whatever the cause; safe to call again (later calls do nothing). */
  async #leave(participant: Participant, reason: LeaveReason | PeerLossReason): Promise<void> {
    if (!participant.markLeft(reason)) return;
    this.#participants.delete(participant.id);
    this.#byTokenDigest.delete(participant.tokenDigest);
    const signaling = this.#signaling.get(participant.id);
    clearTimeout(signaling?.graceTimer);
    this.#signaling.delete(participant.id);
    const room = this.#live.get(participant.roomId);
    this.#speakers.get(participant.roomId)?.forget(participant.peer);
    room?.remove(participant, reason);
    if (room && room.participants.length === 0) this.#armEmptyTimer(room);
    this.observer.notify('participantLeft', participant.roomId, reason);
    await participant.peer.close();
    const leftAt = new Date();
    await this.#sessionWrites.get(participant.id);
    this.#sessionWrites.delete(participant.id);
    await this.sessionRepository.end(participant.id, leftAt, reason).catch((error: unknown) => {
      logger.error({ err: error, participantId: participant.id }, 'could not record the end of a session');
    });
  }

  #signalingOf(participant: Participant) {
    let signaling = this.#signaling.get(participant.id);
    if (!signaling) {
      signaling = { subscribers: 0 };
      this.#signaling.set(participant.id, signaling);
    }
    return signaling;
  }

  /** A participant nobody listens for offers for cannot follow the room: after the grace period it is gone. */
  #armGraceTimer(participant: Participant): void {
    if (!participant.present) return;
    const signaling = this.#signalingOf(participant);
    if (signaling.subscribers > 0) return;
    clearTimeout(signaling.graceTimer);
    signaling.graceTimer = setTimeout(
      () => void this.#leave(participant, LeaveReason.SIGNALING_LOST),
      this.options.negotiationGraceMs,
    );
    signaling.graceTimer.unref();
  }

  /** The open room to join, created on the fly when allowed. */
  async #roomForJoin(roomId: string): Promise<Room> {
    try {
      return await this.#openRoom(roomId);
    } catch (error) {
      if (
        !(error instanceof DomainError) ||
        error.code !== ErrorCode.ROOM_NOT_FOUND ||
        !this.options.autoCreateRooms
      )
        throw error;
    }
    try {
      await this.createRoom({ id: roomId });
    } catch (error) {
      // Two first joiners at once: one creates, the other joins what it created.
      if (!(error instanceof DomainError) || error.code !== ErrorCode.ROOM_EXISTS) throw error;
    }
    return this.#openRoom(roomId);
  }

  /** The live room, loaded from the database on first use; throws ROOM_NOT_FOUND / ROOM_CLOSED. */
  async #openRoom(id: string): Promise<Room> {
    this.#assertRunning();
    let room = this.#live.get(id);
    if (!room) {
      // Concurrent callers share one load, so a room never gets two live objects.
      let loading = this.#loading.get(id);
      if (!loading) {
        loading = this.roomRepository
          .findById(id)
          .then(async (record) => {
            if (!record) return null;
            const [lastSequence, bans] = await Promise.all([
              this.eventRepository.lastSequence(id),
              this.roomRepository.listBans(id),
            ]);
            const existing = this.#live.get(id);
            if (existing) return existing;
            const loaded = new Room(record, lastSequence, bans);
            if (!loaded.closed) this.#live.set(id, this.#track(loaded));
            return loaded;
          })
          .finally(() => this.#loading.delete(id));
        this.#loading.set(id, loading);
      }
      room = (await loading) ?? undefined;
    }
    if (!room) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room with id "${id}".`);
    room.assertOpen();
    return room;
  }

  #assertRunning(): void {
    if (this.#closed) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down.');
  }
}
