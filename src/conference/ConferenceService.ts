import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { BackgroundWrites, type BackgroundWritesStatus } from './BackgroundWrites';
import { Chat } from './Chat';
import { EVERYTHING, type Viewer, visibleTo } from './messages';
import { assertMayPublish, assertTrackCount } from './admission';
import { bitratesOf, type ConferenceTotals, qualityHistories, totalsOf } from './conferenceFigures';
import { ConferenceObserver } from './ConferenceObserver';
import { LeaveReason, type RoomEvent } from './events';
import { bannedBy, type JoinPermit, OPEN_PERMIT } from './grants';
import { Moderation } from './Moderation';
import { type Offer, Participant } from './Participant';
import type {
  MediaPeerFactory,
  PeerStats,
  PublishedStream,
  QualitySample,
  RecordingMedia,
  SignalingLink,
} from './ports';
import { QualityRecorder } from './QualityRecorder';
import { RecordingLog } from './RecordingLog';
import { Recordings } from './Recordings';
import type { Page, PageRequest, RoomRecord, SessionRecord } from './records';
import { RoomRegistry } from './RoomRegistry';
import { SessionLog } from './SessionLog';
import { endStaleStays } from './takeover';
import type { ConferenceOptions, JoinResult, Repositories } from './conferenceOptions';
import { validateDisplayName, validateRoomId, validateSdp, type RoomInput } from './validation';

export type { ConferenceOptions, JoinResult, Repositories } from './conferenceOptions';

/** How long shutdown waits for the database to take what is still pending. */
const SHUTDOWN_FLUSH_MS = 5_000;

/**
 * The conference's use cases, independent of how they are called (GraphQL) or stored. It holds no
 * state of its own: rooms live in the registry, and each room owns its members, timers and log.
 */
export class ConferenceService {
  /** Joins, leaves and negotiations across all rooms, for metrics and the token index. */
  readonly observer = new ConferenceObserver();
  readonly writes = new BackgroundWrites();
  readonly registry: RoomRegistry;
  /** Starting, stopping and reading rooms' recordings. */
  readonly recordings: Recordings;
  readonly #sessions: SessionLog;
  readonly #quality: QualityRecorder;
  readonly #moderation: Moderation;
  readonly #chat: Chat;

  constructor(
    private readonly repositories: Repositories,
    private readonly media: MediaPeerFactory,
    readonly options: ConferenceOptions,
    recordingMedia?: RecordingMedia,
  ) {
    this.#sessions = new SessionLog(repositories.sessions, this.writes, options.retryPolicy);
    const recordingLog =
      recordingMedia && repositories.recordings
        ? new RecordingLog(repositories.recordings, this.writes, options.retryPolicy)
        : null;
    this.registry = new RoomRegistry(
      repositories.rooms,
      repositories.events,
      {
        media,
        events: repositories.events,
        writers: this.writes,
        emptyTimeoutMs: options.emptyRoomTimeoutMs,
        retryPolicy: options.retryPolicy,
        onEventsStored: (roomId, through, events) =>
          this.observer.notify('eventsStored', roomId, through, events),
        recordings: recordingLog
          ? {
              media: recordingMedia!,
              repository: repositories.recordings!,
              log: recordingLog,
              onStopping: (recording) => this.recordings.retire(recording),
            }
          : undefined,
      },
      {
        ...options,
        emptyTimeoutMs: options.emptyRoomTimeoutMs,
        onTaken: options.ownership
          ? (room, since) =>
              endStaleStays(
                { sessions: repositories.sessions, observer: this.observer, recordings: this.recordings },
                room,
                since,
              )
          : undefined,
      },
      (participant) => this.observer.notify('participantJoined', participant.roomId, participant.id),
      (participant, reason) =>
        this.observer.notify('participantLeft', participant.roomId, reason, participant.id),
      (change, roomId) => this.observer.notify(change === 'opened' ? 'roomOpened' : 'roomClosed', roomId),
    );
    this.recordings = new Recordings(this.registry, repositories.recordings ?? null, recordingLog);
    this.#moderation = new Moderation(this.registry, repositories.rooms);
    this.#chat = new Chat(this.registry, repositories.events);
    this.#quality = new QualityRecorder(
      repositories.quality,
      () => this.registry.participants(),
      (participant) => participant.peer.stats(),
      options.quality ?? { intervalMs: 0, retentionMs: 0 },
      this.writes,
      options.retryPolicy,
    );
    this.#quality.start();
  }

  /** Call quality samples of a participant (present or gone), oldest first, at most `last`. */
  qualityHistory(participantId: string, last = 360): Promise<QualitySample[]> {
    return qualityHistories(this.repositories.quality, [participantId], last).then(
      (lists) => lists.get(participantId) ?? [],
    );
  }

  /** The same for several participants, in one query where the repository can (data loaders). */
  qualityHistories(participantIds: readonly string[], last = 360): Promise<Map<string, QualitySample[]>> {
    return qualityHistories(this.repositories.quality, participantIds, last);
  }

  /**
   * Whether a token of `identity` issued at `issuedAt` is shut out of the room by a ban (JWT `iat`
   * has whole seconds, so a token issued in the second of the ban counts as before it).
   */
  async isBanned(roomId: string, identity: string, issuedAt: Date): Promise<boolean> {
    return bannedBy(await this.registry.bannedAt(roomId, identity), issuedAt);
  }

  /**
   * Sessions left open by a process that died are closed (nobody else will close them), and the
   * rooms it left open get their empty-room timeout.
   */
  async recover(at = new Date()): Promise<number> {
    await this.registry.loadOpenRooms();
    // In a cluster the other nodes' stays are live: a room left by a dead node is taken over by
    // another (its failover), which ends that node's stays then (#endStaleStays).
    if (this.options.ownership) return 0;
    const count = await this.repositories.sessions.endAllLive(at, LeaveReason.SERVER_RESTART);
    if (count > 0) logger.info({ count }, 'closed sessions left open by the previous run');
    await this.recordings.recover(at);
    await this.registry.recover();
    return count;
  }

  async createRoom(input: RoomInput): Promise<RoomRecord> {
    return (await this.registry.create(input)).toRecord();
  }

  /** The room's current record; throws ROOM_NOT_FOUND. Closed rooms are returned too (history). */
  getRoom(id: string): Promise<RoomRecord> {
    return this.registry.record(id);
  }

  listOpenRooms(page: PageRequest): Promise<Page<RoomRecord>> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > 100) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`first` must be between 1 and 100.');
    }
    return this.registry.listOpen(page);
  }

  closeRoom(id: string): Promise<RoomRecord> {
    return this.registry.close(id);
  }

  /** Current totals over the live rooms. */
  stats(): ConferenceTotals {
    return totalsOf(this.registry);
  }

  /** Bits per second received from all participants and forwarded to them, now (from medooze's stats). */
  bitrates(): { received: number; forwarded: number } {
    return bitratesOf(this.registry);
  }

  /** Writes the database has not taken yet (for /healthz and metrics). */
  backgroundWrites(): BackgroundWritesStatus {
    return this.writes.status();
  }

  /** Who speaks now in a live room (null when nobody was detected yet). */
  activeSpeakerOf(roomId: string): Participant | null {
    return this.registry.live(roomId)?.activeSpeaker ?? null;
  }

  /** Media figures of a participant still in a room; null once it has left. */
  participantStats(participantId: string): PeerStats | null {
    return this.registry.participant(participantId)?.peer.stats() ?? null;
  }

  /** The room's stays, oldest first, a page at a time (`first` 1 to 500, after the stay `after`). */
  sessionsOf(
    roomId: string,
    page: { first: number; after?: string | null } = { first: 100 },
  ): Promise<SessionRecord[]> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > 500) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`first` must be between 1 and 500.');
    }
    return this.repositories.sessions.listForRoom(roomId, page);
  }

  /** Participants currently in a live room (none for closed or unloaded rooms). */
  participantsOf(roomId: string): Participant[] {
    return this.registry.live(roomId)?.participants ?? [];
  }

  /** What the room forwards of a participant's streams (none once it has left). */
  streamsOf(participant: Participant): PublishedStream[] {
    return this.registry.live(participant.roomId)?.streamsOf(participant) ?? [];
  }

  /**
   * Joins a room with the client's SDP offer; returns the participant and the answer.
   * An unknown room is created when the server allows it.
   */
  async join(
    input: { roomId: string; name?: string | null; offer: string },
    permit: JoinPermit = OPEN_PERMIT,
  ): Promise<JoinResult> {
    const name = validateDisplayName(permit.name ?? input.name ?? permit.identity ?? '');
    const offer = this.media.parseDescription(validateSdp(input.offer, 'offer'));
    assertMayPublish(permit.grants, offer);
    assertTrackCount(this.options.maxTracksPerParticipant ?? 16, offer);
    const room = await this.registry.forJoin(validateRoomId(input.roomId));
    room.assertAdmissible(permit);
    // One seat per identity: a second join with the same identity replaces the first.
    const previous = permit.identity === null ? undefined : room.memberWithIdentity(permit.identity);
    if (previous) await previous.close(LeaveReason.DUPLICATE_IDENTITY);
    room.reserve();
    const participant = new Participant(room.id, name, permit, {
      participantTimeoutMs: this.options.participantTimeoutMs,
      sessions: this.#sessions,
    });
    let admitted = false;
    let answer: string;
    try {
      participant.connect(
        this.media.create(offer, {
          videoCodec: room.videoCodec,
          simulcast: room.simulcast,
          listener: participant,
        }),
      );
      room.assertStreamIdsFree(participant.sentStreams());
      admitted = true;
      room.admit(participant);
      // After admit: the answer carries the room's streams on the sections the offer receives on.
      answer = participant.peer.createAnswer();
    } catch (error) {
      if (!admitted) room.release();
      await participant.close(LeaveReason.LEFT);
      throw error;
    }
    participant.on('negotiated', (seconds, offeredBy) =>
      this.observer.notify('negotiationCompleted', seconds, offeredBy),
    );
    return { participant, answer };
  }

  answer(participant: Participant, revision: number, sdp: string): void {
    const answer = validateSdp(sdp, 'sdp');
    // Read after the negotiation checks: NO_PENDING_OFFER and STALE_OFFER are reported first.
    participant.acceptAnswer(revision, () => this.media.parseDescription(answer));
  }

  renegotiate(participant: Participant, sdp: string): { answer: string; revision: number } {
    const text = validateSdp(sdp, 'offer');
    // Read after the glare check (NEGOTIATION_CONFLICT first); without canPublish, FORBIDDEN first.
    if (participant.grants.canPublish)
      return participant.acceptOffer(() =>
        assertTrackCount(this.options.maxTracksPerParticipant ?? 16, this.media.parseDescription(text)),
      );
    const offer = this.media.parseDescription(text);
    assertMayPublish(participant.grants, offer);
    return participant.acceptOffer(() => offer);
  }

  /** A live participant by id; PARTICIPANT_NOT_FOUND for an unknown or departed one. */
  participant(participantId: string): Participant {
    const participant = this.registry.participant(participantId);
    if (!participant)
      throw new DomainError(
        ErrorCode.PARTICIPANT_NOT_FOUND,
        `No participant "${participantId}" is in a room.`,
      );
    return participant;
  }

  kick(participant: Participant, ban: boolean): Promise<void> {
    return this.#moderation.kick(participant, ban);
  }

  muteTrack(roomId: string, trackId: string): Promise<Participant> {
    return this.#moderation.muteTrack(roomId, trackId);
  }

  roomOfTrack(trackId: string): string {
    return this.#moderation.roomOfTrack(trackId);
  }

  /** Pins (or, with nulls, frees) the layer of a video the participant receives: see Participant.preferLayer. */
  setPreferredLayer(
    participant: Participant,
    streamId: string,
    spatial: number | null,
    temporal: number | null,
  ): void {
    participant.preferLayer(streamId, spatial, temporal);
  }

  /** A publisher reports that it muted or unmuted one of its own tracks. */
  setTrackMuted(participant: Participant, trackId: string, muted: boolean): void {
    const { streamId, changed } = participant.setMuted(trackId, muted);
    if (changed) this.registry.live(participant.roomId)?.recordMuted(participant, streamId, trackId, muted);
  }

  /** A member says something to everyone, or privately to `to` (participant ids in its room). */
  sendMessage(participant: Participant, text: string, to: string[] | null): RoomEvent {
    return this.#roomOf(participant).sendMessage(participant, text, to);
  }

  /** Applies an attribute patch (null removes a key); PARTICIPANT_ATTRIBUTES_CHANGED when something changed. */
  setAttributes(participant: Participant, patch: Record<string, unknown>): void {
    if (participant.setAttributes(patch)) this.#roomOf(participant).recordAttributes(participant);
  }

  /** The room's chat history the viewer may see, oldest first, a page at a time. */
  messages(
    roomId: string,
    viewer: Viewer,
    page: { first: number; after: number | null },
  ): Promise<{ events: RoomEvent[]; hasNextPage: boolean }> {
    return this.#chat.history(roomId, viewer, page);
  }

  /** Answered once the participant is out of the room (Participant.leave). */
  leave(participant: Participant): Promise<void> {
    participant.leave(LeaveReason.LEFT);
    return Promise.resolve();
  }

  /** Server offers for this participant, on the connection `link` (see Participant.offers). */
  negotiation(participant: Participant, link?: SignalingLink): AsyncIterableIterator<Offer> {
    return participant.offers(link);
  }

  /**
   * A room's events until it closes (ROOM_CLOSED is the last one). Without `after`: from now on,
   * for an open room. With `after`: first every stored event with a greater sequence number (closed
   * rooms too), then live ones, with no gap and no duplicate between the two.
   * The caller ends the iteration to unsubscribe.
   */
  async roomEvents(
    roomId: string,
    after?: number | null,
    viewer: Viewer = EVERYTHING,
  ): Promise<AsyncIterableIterator<RoomEvent>> {
    if (after !== undefined && after !== null && (!Number.isInteger(after) || after < 0)) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        '`after` is a sequence number: a whole number, 0 or more.',
      );
    }
    const stream = await this.registry.events(roomId, after ?? null);
    return viewer.kind === 'everything' ? stream : stream.filter((event) => visibleTo(viewer, event));
  }

  #roomOf(participant: Participant) {
    const room = this.registry.live(participant.roomId);
    if (!room || !participant.present)
      throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, `Participant "${participant.id}" has left.`);
    return room;
  }

  /** Resolves when everything written in the background so far is stored (tests, shutdown). */
  flushEvents(): Promise<void> {
    return this.writes.flush();
  }

  /**
   * Ends every participant's media and session (SERVER_SHUTDOWN) and drops live state. Rooms stay
   * open in the database: they outlive a server restart. Waits a while for pending writes.
   */
  async shutdown(): Promise<void> {
    this.#quality.stop();
    await this.registry.shutdown();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.writes.flush(),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS))),
    ]);
    clearTimeout(timer);
    this.writes.stop();
  }
}
