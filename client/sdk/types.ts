/** The SDK's public types: what a client is told about the room and itself. */
import type { ConferenceError } from './errors';
import type {
  ChatMessageFragment,
  JoinMutation,
  QualityHistoryQuery,
  RecordingFieldsFragment,
} from './generated/graphql';
import type { TransportOptions } from './transport';

/** One sampling interval of a participant's call quality (bits per second, loss 0-1, ms). */
export type QualitySample = QualityHistoryQuery['room']['participants'][number]['qualityHistory'][number];

/** What you may do in the room (from your join token; everything on an open server). */
export type Grants = JoinMutation['join']['participant']['grants'];

/** Someone in the room (never yourself). */
export interface ParticipantInfo {
  readonly id: string;
  readonly name: string;
  /** What it says about itself (setAttributes), e.g. `{ handRaised: true }`; kept up to date. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /**
   * The server has not heard from it for a moment (network blip, frozen client): it keeps its place
   * and streams until the server's participant timeout; a page greys its tile. Kept up to date.
   */
  readonly reconnecting: boolean;
}

/**
 * A chat message: `to` lists the recipients' participant ids of a private message (null: everyone);
 * `from` stays readable after the sender left.
 */
export type ChatMessage = ChatMessageFragment;

/** A recording of the room that is running: everyone in the room is being recorded. */
export interface RecordingInfo {
  readonly id: string;
  /** ISO 8601. */
  readonly startedAt: string;
}

/**
 * A recording with its files (one MP4 per participant stream); `url` is a path on the server
 * (a GET needs a moderator's or admin token on a secured server).
 */
export type Recording = RecordingFieldsFragment;

/** Someone's attributes changed (`participant` null: yours); `attributes` is the whole new set. */
export interface AttributesChange {
  readonly participantId: string;
  readonly participant: ParticipantInfo | null;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A MediaStream received from another participant; `id` is the publisher's stream id (`Stream.id`). */
export interface RemoteStream {
  readonly id: string;
  readonly stream: MediaStream;
  readonly participant: ParticipantInfo;
}

/**
 * - `idle`: not joined yet; `joining`: join sent, media not connected yet;
 * - `connected`: signalling socket and media up; `reconnecting`: one of them dropped, retrying;
 * - `failed`: the media connection failed; `closed`: out of the room (see the `left` event).
 */
export type ConnectionState = 'idle' | 'joining' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export interface ConferenceEvents {
  participantJoined: [participant: ParticipantInfo];
  participantLeft: [participant: ParticipantInfo, reason: string | null];
  /**
   * Someone went silent (`reconnecting` true: PARTICIPANT_RECONNECTING) or was heard from again
   * (false: PARTICIPANT_RECONNECTED). If it does not come back, `participantLeft` follows
   * (`CONNECTION_LOST`). Never about you: your own connection is `connectionState`.
   */
  participantReconnecting: [participant: ParticipantInfo, reconnecting: boolean];
  streamAdded: [stream: RemoteStream];
  streamRemoved: [stream: RemoteStream];
  /** Someone else is speaking now (`null` id: it is you). */
  activeSpeaker: [participant: ParticipantInfo | null];
  /** Another participant muted or unmuted one of its tracks (`streamId` is its `RemoteStream.id`). */
  trackMuted: [change: { participant: ParticipantInfo; streamId: string; trackId: string; muted: boolean }];
  /** A moderator muted one of your tracks: it is disabled; `setTrackMuted(track, false)` unmutes it. */
  mutedByModerator: [track: MediaStreamTrack];
  /** A chat message you may read (sent to everyone, by you, or to you): history at join, then live; each id once. */
  message: [message: ChatMessage];
  /** Someone's attributes changed (yours too: `participant` null). */
  attributesChanged: [change: AttributesChange];
  /** The room started being recorded (a RecordingInfo) or stopped (null); known at join too. */
  recordingChanged: [recording: RecordingInfo | null];
  connectionState: [state: ConnectionState, previous: ConnectionState];
  /** Something failed that the client could not handle by itself. */
  error: [error: ConferenceError];
  /** You are out of the room: `LEFT` (leave()), `ROOM_CLOSED`, or the server's reason (e.g. `TIMEOUT`, `SIGNALING_LOST`). */
  left: [reason: string];
}

export interface ConferenceClientOptions extends TransportOptions {
  /** RTCPeerConnection configuration (default: max-bundle, no ICE servers: the SFU is ICE-lite). */
  rtcConfiguration?: RTCConfiguration;
  /**
   * Longest wait for ICE gathering before an SDP is sent anyway (ms, default 0: not waited for).
   * The SFU is ICE-lite and drops the candidates of a client's SDP: it learns the client's address
   * from the client's own connectivity checks. Chromium takes 120-160 ms to finish gathering here,
   * which a join would otherwise spend before its offer leaves.
   */
  iceGatheringTimeoutMs?: number;
}

export interface JoinOptions {
  /** On a secured server, the join token the application minted for this person. */
  token?: string;
  /**
   * Whether the camera (the first video track of the local stream) is sent as simulcast: three
   * encodings (rids q, h, f at 1/4, 1/2 and full resolution). `'auto'` (default): when the room
   * allows it (`Room.simulcast` and VP8; an unknown room is created with the server's defaults,
   * which allow it). If the server's answer turns simulcast down, one full-resolution encoding is sent.
   * In VP9 rooms that allow simulcast, `'auto'` sends SVC layers instead (scalabilityMode L3T3_KEY),
   * which the server chooses from in the same way.
   */
  simulcast?: boolean | 'auto';
}
