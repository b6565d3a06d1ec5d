import type { VideoCodec } from './codecs';

/** Plain data the domain stores and reads through its repositories (no ORM types leak in here). */

export interface RoomRecord {
  id: string;
  name: string;
  createdAt: Date;
  closedAt: Date | null;
  maxParticipants: number;
  videoCodec: VideoCodec;
  /** Whether publishers may send simulcast (several encodings of one video track). */
  simulcast: boolean;
  metadata: Record<string, unknown> | null;
}

export interface SessionRecord {
  id: string;
  roomId: string;
  displayName: string;
  /** Its join token's identity (secured mode); null in open mode. */
  identity: string | null;
  joinedAt: Date;
  leftAt: Date | null;
  leaveReason: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

export interface PageRequest {
  first: number;
  /** Opaque cursor from a previous page's `endCursor`. */
  after?: string | null;
}

/** RECORDING while files are written; STOPPED once finalized; FAILED when the process died meanwhile. */
export type RecordingState = 'RECORDING' | 'STOPPED' | 'FAILED';

/** One recording of a room: one file per participant stream recorded. */
export interface RecordingRecord {
  id: string;
  roomId: string;
  state: RecordingState;
  startedAt: Date;
  endedAt: Date | null;
  files: RecordingFileRecord[];
}

/** One participant stream (its audio and video) recorded into one MP4 file. */
export interface RecordingFileRecord {
  id: string;
  recordingId: string;
  participantId: string;
  participantName: string;
  streamId: string;
  /** Where it is, relative to the recordings directory (`<room>/<recording>/<file>.mp4`). */
  path: string;
  startedAt: Date;
  /** When it was finalized; null while written. */
  endedAt: Date | null;
  /** Its size (the final size once finalized). */
  bytes: number;
}
