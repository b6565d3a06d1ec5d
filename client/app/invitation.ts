/**
 * On a secured server the application invites people with a link carrying a join token
 * (`/?room=<id>&token=<jwt>`); the token names the room, the person and what they may do. Its
 * payload is readable here; only the server can tell whether it is genuine.
 */
export interface Invitation {
  token: string;
  name?: string;
  identity?: string;
  room?: string;
  canPublish: boolean;
}

export function readInvitation(token: string | null | undefined): Invitation | undefined {
  if (!token) return undefined;
  let claims: { name?: unknown; sub?: unknown; room?: unknown; grants?: { canPublish?: unknown } } = {};
  try {
    const payload = token.split('.')[1] ?? '';
    claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as typeof claims;
  } catch {
    // An unreadable token: the server says what is wrong with it.
  }
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);
  return {
    token,
    name: text(claims.name),
    identity: text(claims.sub),
    room: text(claims.room),
    canPublish: claims.grants?.canPublish !== false,
  };
}

/** The link that brings someone to this room: with the invitation on a secured server. */
export function roomLink(roomId: string, invitation: Invitation | undefined): string {
  const url = new URL(location.pathname, location.origin);
  url.searchParams.set('room', roomId);
  if (invitation) url.searchParams.set('token', invitation.token);
  return url.toString();
}
