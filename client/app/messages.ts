/** What the page says when something goes wrong: one sentence a person can act on. */
import { ConferenceError } from '../sdk';

export function mediaErrorMessage(error: unknown): string {
  const name = (error as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Permission to use the camera or microphone was denied. Allow it in the browser (address bar), or choose "Watch only".';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera or microphone was found. Connect one, or choose "Join without camera" / "Watch only".';
  if (name === 'NotReadableError') return 'The camera or microphone is in use by another application.';
  return `Could not open the camera or microphone: ${String((error as Error)?.message ?? error)}`;
}

/** Error codes after which joining again cannot help. */
export const PERMANENT_JOIN_ERRORS = [
  'ROOM_FULL',
  'ROOM_CLOSED',
  'ROOM_NOT_FOUND',
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'BANNED',
];

export function joinErrorMessage(error: unknown): string {
  if (error instanceof ConferenceError) {
    switch (error.code) {
      case 'NETWORK_ERROR':
        return 'The server is unreachable. Check your connection and try again.';
      case 'ROOM_FULL':
        return 'This room is full.';
      case 'ROOM_CLOSED':
        return 'This room has been closed.';
      case 'ROOM_NOT_FOUND':
        return 'There is no room with this id.';
      case 'BAD_USER_INPUT': {
        const [first] = (error.details as Array<{ extensions?: { field?: string } }> | undefined) ?? [];
        const field = first?.extensions?.field;
        if (field === 'id' || /room id/i.test(error.message))
          return `Please check the room id: ${error.message}`;
        if (field === 'name' || /name/i.test(error.message))
          return `Please check your name: ${error.message}`;
        return error.message;
      }
      case 'UNAUTHENTICATED':
        return 'This server needs an invitation: open the link the application gave you.';
      case 'TOKEN_EXPIRED':
        return 'Your invitation has expired. Ask for a new link.';
      case 'INVALID_TOKEN':
        return 'Your invitation link is not valid.';
      case 'FORBIDDEN':
        return `Your invitation does not allow this (${error.message}).`;
      case 'BANNED':
        return 'You were removed from this room and cannot rejoin with this invitation.';
      case 'RATE_LIMITED':
        return 'Too many attempts from this address; wait a moment and try again.';
    }
    return error.message;
  }
  return String((error as Error)?.message ?? error);
}
