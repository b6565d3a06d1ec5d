import { DomainError, ErrorCode } from '../shared/errors';
import type { Page, PageRequest, RoomRecord } from './records';

/**
 * The `rooms` listing's keyset: open rooms ordered by (createdAt, id); a cursor is base64url of
 * "<createdAt ms>:<id>". Shared by the database's listing and the registry's in-memory one, so a
 * cursor from either continues in the other.
 */
export const encodeRoomCursor = (row: Pick<RoomRecord, 'createdAt' | 'id'>): string =>
  Buffer.from(`${row.createdAt.getTime()}:${row.id}`).toString('base64url');

export function decodeRoomCursor(cursor: string): { createdAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const ms = Number(text.slice(0, colon));
  if (colon < 1 || !Number.isSafeInteger(ms)) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'The cursor is not one this server issued.');
  }
  return { createdAt: new Date(ms), id: text.slice(colon + 1) };
}

const compare = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const sortRooms = (records: Iterable<RoomRecord>): RoomRecord[] => [...records].sort(compare);

/** One page of `sorted` (as sortRooms orders it) after the cursor, as the database would give it. */
export function pageOfRooms(sorted: readonly RoomRecord[], { first, after }: PageRequest): Page<RoomRecord> {
  let start = 0;
  if (after) {
    const cursor = decodeRoomCursor(after);
    // First record past the cursor (binary search).
    let high = sorted.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if (compare(sorted[middle], cursor) <= 0) start = middle + 1;
      else high = middle;
    }
  }
  const items = sorted.slice(start, start + first);
  const last = items.at(-1);
  return {
    items,
    hasNextPage: start + first < sorted.length,
    endCursor: last ? encodeRoomCursor(last) : null,
    totalCount: sorted.length,
  };
}
