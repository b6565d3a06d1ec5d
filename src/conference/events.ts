/** What happened in a room, in the order it happened. */
export const RoomEventType = {
  PARTICIPANT_JOINED: 'PARTICIPANT_JOINED',
  PARTICIPANT_LEFT: 'PARTICIPANT_LEFT',
  /** It went silent (signaling and media): it may come back within PARTICIPANT_TIMEOUT_MS. */
  PARTICIPANT_RECONNECTING: 'PARTICIPANT_RECONNECTING',
  /** It was heard from again after PARTICIPANT_RECONNECTING, before the timeout. */
  PARTICIPANT_RECONNECTED: 'PARTICIPANT_RECONNECTED',
  STREAM_PUBLISHED: 'STREAM_PUBLISHED',
  STREAM_UNPUBLISHED: 'STREAM_UNPUBLISHED',
  ACTIVE_SPEAKER_CHANGED: 'ACTIVE_SPEAKER_CHANGED',
  TRACK_MUTED: 'TRACK_MUTED',
  TRACK_UNMUTED: 'TRACK_UNMUTED',
  /** A chat message (`message`); private ones reach only their sender and recipients. */
  MESSAGE: 'MESSAGE',
  /** A participant's attributes changed (`attributes` holds the whole new set). */
  PARTICIPANT_ATTRIBUTES_CHANGED: 'PARTICIPANT_ATTRIBUTES_CHANGED',
  /** A recording of the room started (`recordingId`): everyone in it is recorded from now on. */
  RECORDING_STARTED: 'RECORDING_STARTED',
  /** The recording `recordingId` stopped and its files are finalized. */
  RECORDING_STOPPED: 'RECORDING_STOPPED',
  ROOM_CLOSED: 'ROOM_CLOSED',
} as const;
export type RoomEventType = (typeof RoomEventType)[keyof typeof RoomEventType];

/**
 * Why a participant is no longer in its room: the `reason` of PARTICIPANT_LEFT and the session's
 * leave reason (one vocabulary for both, and for the media side's own losses).
 */
export const LeaveReason = {
  LEFT: 'LEFT',
  /** Its transport failed or was closed (DTLS). */
  DISCONNECTED: 'DISCONNECTED',
  /** Its transport went silent (ICE). */
  TIMEOUT: 'TIMEOUT',
  /** Its client sent an offer the media server half-applied and could not answer. */
  NEGOTIATION_FAILED: 'NEGOTIATION_FAILED',
  /** Nobody listened for its server offers for PARTICIPANT_TIMEOUT_MS (its media may still flow). */
  SIGNALING_LOST: 'SIGNALING_LOST',
  /** Silent on every signal (keep-alive pongs, RTP, ICE checks) for PARTICIPANT_TIMEOUT_MS. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  ROOM_CLOSED: 'ROOM_CLOSED',
  /** Removed by a moderator (kickParticipant). */
  KICKED: 'KICKED',
  /** Replaced by a later join with the same identity (one seat per identity and room). */
  DUPLICATE_IDENTITY: 'DUPLICATE_IDENTITY',
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  /** Still marked in a room when the previous process died. */
  SERVER_RESTART: 'SERVER_RESTART',
  /** Cluster: the node it was connected to died; another node took the room over. */
  NODE_FAILURE: 'NODE_FAILURE',
  /** Cluster: its node was drained (SIGTERM); the room moved to another node, where it rejoins. */
  ROOM_MOVED: 'ROOM_MOVED',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/**
 * A room event as plain, serialisable data. `sequence` starts at 1 in each room and has no gaps,
 * so a subscriber can tell it missed something.
 */
export interface RoomEvent {
  roomId: string;
  sequence: number;
  type: RoomEventType;
  at: Date;
  participantId?: string;
  participantName?: string;
  streamId?: string;
  /** For PARTICIPANT_LEFT: a LeaveReason; for TRACK_MUTED / TRACK_UNMUTED: PUBLISHER or MODERATOR. */
  reason?: string;
  /** For TRACK_MUTED / TRACK_UNMUTED: the track (its id in the SDP). */
  trackId?: string;
  /** For MESSAGE. */
  message?: ChatMessage;
  /** For PARTICIPANT_ATTRIBUTES_CHANGED: the participant's attributes after the change. */
  attributes?: Record<string, unknown>;
  /** For RECORDING_STARTED / RECORDING_STOPPED. */
  recordingId?: string;
}

/** A chat message; the sender is the event's participant. */
export interface ChatMessage {
  id: string;
  text: string;
  /** Recipients' participant ids; null: everyone in the room. */
  to: string[] | null;
  /** The sender's identity (secured mode), so its later stays still see their private messages. */
  fromIdentity: string | null;
  /** Recipients' identities (secured mode), likewise. */
  toIdentities: Array<string | null> | null;
}
