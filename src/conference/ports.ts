import type { VideoCodec } from './codecs';
import type { LeaveReason, RoomEvent, RoomEventType } from './events';
import type {
  Page,
  PageRequest,
  RecordingFileRecord,
  RecordingRecord,
  RecordingState,
  RoomRecord,
  SessionRecord,
} from './records';

/**
 * What the domain needs from the outside world. Implementations live in src/persistence
 * and src/media; tests of the domain pass fakes.
 */
export interface RoomRepository {
  /** Throws DomainError ROOM_EXISTS when the id is taken. */
  create(room: Omit<RoomRecord, 'closedAt'>): Promise<RoomRecord>;
  findById(id: string): Promise<RoomRecord | null>;
  /** Open rooms, oldest first. Throws DomainError BAD_USER_INPUT for a cursor it did not issue. */
  listOpen(page: PageRequest): Promise<Page<RoomRecord>>;
  countOpen(): Promise<number>;
  markClosed(id: string, closedAt: Date): Promise<void>;
  /** Records (or moves forward) a ban of `identity` from the room. */
  ban(roomId: string, identity: string, bannedAt: Date): Promise<void>;
  listBans(roomId: string): Promise<RoomBan[]>;
}

/**
 * Cluster: which node holds a room (a lease). A single node has none and holds every room. A room
 * is loaded only by the node that claimed it, so it never has two live copies.
 */
export interface RoomOwnership {
  /** Takes (or keeps) the room for this node; false when another node holds it. */
  claim(roomId: string): Promise<boolean>;
  /** Gives the room up (closed, moved, or shut down). */
  release(roomId: string): Promise<void>;
}

export interface RoomBan {
  identity: string;
  bannedAt: Date;
}

/** A stay's end: when, and why (a LeaveReason). */
export interface SessionEnd {
  id: string;
  leftAt: Date;
  reason: string;
}

export interface SessionRepository {
  /**
   * Records the starts of stays, in one write (a burst of joins is one statement); a start already
   * recorded is skipped (retries are harmless).
   */
  start(sessions: ReadonlyArray<Omit<SessionRecord, 'leftAt' | 'leaveReason'>>): Promise<void>;
  /** Records the ends of stays, in one write; only the first end of a stay counts. */
  end(ends: ReadonlyArray<SessionEnd>): Promise<void>;
  /** Closes every session still marked live (after a crash nobody else will); returns how many. */
  endAllLive(leftAt: Date, reason: string): Promise<number>;
  /**
   * Closes, at `at`, the room's sessions still marked live that began before `at` (their node died);
   * returns the sessions it closed.
   */
  endLiveInRoom(roomId: string, at: Date, reason: string): Promise<SessionRecord[]>;
  /**
   * The room's stays, oldest first: at most `first`, after the stay with id `after` (an id this
   * room does not have starts from the beginning).
   */
  listForRoom(roomId: string, page: { first: number; after?: string | null }): Promise<SessionRecord[]>;
}

export type TrackKind = 'audio' | 'video';

/** A stream a participant sends, as its SDP describes it (the msid stream id and track ids). */
export interface PublishedStream {
  id: string;
  tracks: Array<{ id: string; kind: TrackKind }>;
}

/** Figures of one track, from medooze's statistics (bitrates averaged over the last second). */
export interface TrackStats {
  trackId: string;
  streamId: string;
  kind: TrackKind;
  /** bits per second */
  bitrate: number;
  packets: number;
  packetsLost: number;
  /** round-trip time in ms (0 until measured) */
  rtt: number;
  /** Interarrival jitter in ms as the receiver reports it (outbound tracks; null where not measured). */
  jitter?: number | null;
  frames: number;
  width?: number;
  height?: number;
}

/** What the server receives from a peer (`inbound`) and forwards to it (`outbound`). */
export interface PeerStats {
  inbound: TrackStats[];
  outbound: TrackStats[];
}

/** Why the media side ended a peer on its own. */
export type PeerLossReason = Extract<LeaveReason, 'DISCONNECTED' | 'TIMEOUT' | 'NEGOTIATION_FAILED'>;

export interface MediaPeerListener {
  /** The streams this peer sends changed (after an offer or answer was applied). */
  onPublishedChanged(streams: PublishedStream[]): void;
  /** The set of streams it receives changed: it needs a new server offer. */
  onRenegotiationNeeded(): void;
  /** Its transport failed or went silent. */
  onLost(reason: PeerLossReason): void;
}

/** An SDP the media layer has read and checked once; handed back to it as is. */
export interface SessionDescription {
  readonly sdp: string;
  /** Whether it sends any track: a sendrecv or sendonly media section carrying an msid. */
  readonly sendsMedia: boolean;
  /** How many tracks it sends (tracks of sendrecv or sendonly media sections). */
  readonly sentTrackCount: number;
}

/**
 * One participant's media connection (medooze transport + SDP state), seen from the domain.
 * Methods that take SDP throw DomainError INVALID_SDP for SDP they cannot use.
 */
export interface MediaPeer {
  /** Unique among the peers of one media engine. */
  readonly id: string;
  /**
   * The answer to the client's first offer; made at the first call (then the same string), once the
   * room has subscribed the peer to what is there: the offer's receive-only media sections then carry
   * those streams, and only what does not fit needs a server offer.
   */
  createAnswer(): string;
  /** 'stable' | 'local-offer' | 'remote-offer' | 'initial'. */
  readonly signalingState: string;
  publishedStreams(): PublishedStream[];
  /** Makes the next server offer (moves to local-offer). */
  createOffer(): string;
  processAnswer(answer: SessionDescription): void;
  /** Applies a client offer and returns the answer. */
  processOffer(offer: SessionDescription): string;
  /** Forwards `streamId` of `publisher` to this peer, under the same stream and track ids. */
  subscribe(publisher: MediaPeer, streamId: string): void;
  unsubscribe(streamId: string): void;
  subscribedStreamIds(): string[];
  /** Whether one of its own tracks is muted: the one place that knows. */
  isTrackMuted(trackId: string): boolean;
  /** Stops (or resumes) forwarding one of its own tracks to everyone (mute). */
  setTrackMuted(trackId: string, muted: boolean): void;
  /**
   * Pins the layer of the video of a stream this peer receives (null, null: chosen by its bandwidth
   * again). Simulcast: `spatial` indexes the publisher's encodings, lowest resolution first; SVC: the
   * spatial layer id; `temporal` is the temporal layer id. Too high means the highest available.
   * Remembered per stream id, so it holds when the subscription is made anew.
   */
  setPreferredLayer(streamId: string, spatial: number | null, temporal: number | null): void;
  stats(): PeerStats;
  /**
   * A counter that grows whenever the media server hears from this peer (RTP received, ICE checks);
   * it stands still while the peer is silent.
   */
  activity(): number;
  close(): Promise<void>;
}

/**
 * One signaling connection carrying a `negotiation` subscription, as the API sees it: when it last
 * showed a sign of life (a keep-alive pong or a message) and whether it is still open.
 */
export interface SignalingLink {
  /** performance.now() of its last sign of life. */
  readonly lastSeen: number;
  readonly open: boolean;
}

/** Finds who is speaking among the peers it follows (one per room). */
export interface SpeakerDetector {
  /** Follows the audio tracks the peer publishes now (call again when they change). */
  follow(peer: MediaPeer): void;
  forget(peer: MediaPeer): void;
  stop(): void;
}

export interface MediaPeerFactory {
  createSpeakerDetector(onChange: (peer: MediaPeer) => void): SpeakerDetector;
  /** Creates a peer from the client's first offer; the answer is `peer.createAnswer()`. */
  create(
    offer: SessionDescription,
    options: { videoCodec: VideoCodec; simulcast: boolean; listener: MediaPeerListener },
  ): MediaPeer;
  /**
   * Reads and checks a client SDP once (throws DomainError INVALID_SDP for SDP it cannot use); the
   * value is what `create`, `processOffer` and `processAnswer` take.
   */
  parseDescription(sdp: string): SessionDescription;
}

/** One participant's call quality over one sampling interval. */
export interface QualitySample {
  participantId: string;
  roomId: string;
  at: Date;
  /** bits per second received from it */
  bitrateIn: number;
  /** bits per second forwarded to it */
  bitrateOut: number;
  /** Share of its packets lost on the way to the server during the interval, 0 to 1. */
  lossIn: number;
  /** ms, the worst of its tracks */
  rtt: number;
  /** ms, the worst its receivers reported (0 until reported) */
  jitter: number;
}

export interface QualitySampleRepository {
  /** Stores samples; one already stored (same participant and instant) is skipped. */
  append(samples: readonly QualitySample[]): Promise<void>;
  /** The participant's latest `last` samples, oldest first. */
  listForParticipant(participantId: string, last: number): Promise<QualitySample[]>;
  /** The same for several participants in one query (a data loader batches per-session fields into it). */
  listForParticipants?(
    participantIds: readonly string[],
    last: number,
  ): Promise<Map<string, QualitySample[]>>;
  /** Deletes samples taken before `at`; returns how many. */
  deleteBefore(at: Date): Promise<number>;
}

export interface RoomEventRepository {
  /** Stores events; one already stored (same room and sequence) is skipped, so a retried batch is harmless. */
  append(events: readonly RoomEvent[]): Promise<void>;
  /** At most `limit` events of the room with sequence > `after`, in order (only of `types`, if given). */
  listAfter(
    roomId: string,
    after: number,
    limit: number,
    types?: readonly RoomEventType[],
  ): Promise<RoomEvent[]>;
  /** The room's highest sequence number (0 without events). */
  lastSequence(roomId: string): Promise<number>;
}

/** An event a webhook receiver never took in time (kept for operators). */
export interface WebhookFailureRecord {
  url: string;
  roomId: string;
  sequence: number;
  webhookId: string;
  attempts: number;
  lastError: string;
  failedAt: Date;
}

/** Where webhook delivery keeps its place: per URL and room, the last event delivered. */
export interface WebhookStore {
  /** Registers the URL on first sight; returns since when its events are delivered. */
  endpoint(url: string): Promise<Date>;
  /** The last sequence delivered (or given up) to `url` for the room; null when none yet. */
  cursor(url: string, roomId: string): Promise<number | null>;
  advance(url: string, roomId: string, through: number): Promise<void>;
  recordFailure(failure: WebhookFailureRecord): Promise<void>;
  /** The latest failures, newest first. */
  listFailures(first: number): Promise<WebhookFailureRecord[]>;
  /** Rooms with events at or after `since` not yet delivered to `url` (the catch-up at start). */
  roomsBehind(url: string, since: Date): Promise<string[]>;
}

/** One participant stream being written to an MP4 file (no transcoding), by the media side. */
export interface StreamRecorder {
  /** Bytes written so far. */
  bytes(): number;
  /** Stops recording and finalizes the file; resolves with its size. Idempotent. */
  stop(): Promise<number>;
}

/** Records published streams (medooze's Recorder). */
export interface RecordingMedia {
  /**
   * Records stream `streamId` of `peer` (every track of it, those added later too) into the MP4 file
   * at `path`, relative to the recordings directory. Throws when the peer does not publish it.
   */
  record(peer: MediaPeer, streamId: string, path: string): StreamRecorder;
}

export interface RecordingRepository {
  create(recording: Omit<RecordingRecord, 'files'>): Promise<void>;
  addFile(file: RecordingFileRecord): Promise<void>;
  /** The file was finalized. */
  endFile(id: string, endedAt: Date, bytes: number): Promise<void>;
  end(id: string, state: RecordingState, endedAt: Date): Promise<void>;
  find(id: string): Promise<RecordingRecord | null>;
  /** The room's recordings, oldest first, with their files. */
  listForRoom(roomId: string): Promise<RecordingRecord[]>;
  /**
   * Recordings still marked RECORDING by a process that died become FAILED (only the room's, with
   * `roomId`); returns their ids.
   */
  failAllActive(endedAt: Date, roomId?: string): Promise<string[]>;
}
