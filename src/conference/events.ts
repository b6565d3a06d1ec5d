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
  /** For PARTICIPANT_LEFT: why (LEFT, DISCONNECTED, TIMEOUT, ROOM_CLOSED, ...). */
  reason?: string;
  /** For TRACK_MUTED / TRACK_UNMUTED: the track (its id in the SDP). */
  trackId?: string;
}
