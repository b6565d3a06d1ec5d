import type { AuthChecker } from 'type-graphql';
import type { ApiContext } from './context';

/** What reading a type's fields needs, checked on every field of every object of that type. */
export const Needs = {
  /** The object belongs to a room (its `roomId`, or its `id` for a room): the caller must be able to read that room. */
  ROOM_READER: 'ROOM_READER',
} as const;

/**
 * type-graphql's auth checker, attached to object types (`@Authorized(Needs.ROOM_READER)` on the
 * class), so a field is guarded however it is reached: a new query or a nested path that returns a
 * room, a participant or a stay cannot skip the check made at the top of the root resolvers.
 * It throws the access layer's coded errors (FORBIDDEN, UNAUTHENTICATED, ...) rather than answering
 * false, so clients see the same codes as at the root.
 */
export const authChecker: AuthChecker<ApiContext, string> = async ({ root, context }, needs) => {
  for (const need of needs) {
    if (need === Needs.ROOM_READER) await context.access.requireRoom(roomOf(root));
  }
  return true;
};

function roomOf(root: unknown): string {
  const object = root as { roomId?: unknown; id?: unknown; __typename?: unknown } | null;
  const roomId = typeof object?.roomId === 'string' ? object.roomId : object?.id;
  // An object without a room cannot be read by room: fail closed.
  return typeof roomId === 'string' ? roomId : '\u0000no room';
}
