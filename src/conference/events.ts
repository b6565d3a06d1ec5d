/** What happened in a room, in the order it happened. */
export const RoomEventType = {
  PARTICIPANT_JOINED: 'PARTICIPANT_JOINED',
  PARTICIPANT_LEFT: 'PARTICIPANT_LEFT',
  STREAM_PUBLISHED: 'STREAM_PUBLISHED',
  STREAM_UNPUBLISHED: 'STREAM_UNPUBLISHED',
  ACTIVE_SPEAKER_CHANGED: 'ACTIVE_SPEAKER_CHANGED',
  TRACK_MUTED: 'TRACK_MUTED',
  TRACK_UNMUTED: 'TRACK_UNMUTED',
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
  /** Nobody listened for its server offers for longer than the grace period. */
  SIGNALING_LOST: 'SIGNALING_LOST',
  ROOM_CLOSED: 'ROOM_CLOSED',
  /** Removed by a moderator (kickParticipant). */
  KICKED: 'KICKED',
  /** Replaced by a later join with the same identity (one seat per identity and room). */
  DUPLICATE_IDENTITY: 'DUPLICATE_IDENTITY',
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  /** Still marked in a room when the previous process died. */
  SERVER_RESTART: 'SERVER_RESTART',
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
}
