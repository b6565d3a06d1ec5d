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
