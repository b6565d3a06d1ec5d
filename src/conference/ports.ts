import type { Page, PageRequest, RoomRecord, SessionRecord } from './records';

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
  markClosed(id: string, closedAt: Date): Promise<void>;
}

export interface SessionRepository {
  start(session: Omit<SessionRecord, 'leftAt' | 'leaveReason'>): Promise<void>;
  end(id: string, leftAt: Date, reason: string): Promise<void>;
  /** Closes every session still marked live (after a crash nobody else will); returns how many. */
  endAllLive(leftAt: Date, reason: string): Promise<number>;
  listForRoom(roomId: string): Promise<SessionRecord[]>;
}
