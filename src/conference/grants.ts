/** What a participant may do in its room: its join token's grants (everything in open mode). */
export interface Grants {
  /** May send tracks. Without it, offers that send anything are refused (FORBIDDEN). */
  canPublish: boolean;
  /** Receives the others' streams. */
  canSubscribe: boolean;
  /** May moderate its room: kick, ban, mute others' tracks, close it. */
  roomAdmin: boolean;
}

export const ALL_GRANTS: Readonly<Grants> = Object.freeze({
  canPublish: true,
  canSubscribe: true,
  roomAdmin: true,
});

/**
 * Who is let in and with what rights. In secured mode it comes from a verified join token; in open
 * mode it is anonymous and may do everything.
 */
export interface JoinPermit {
  /** The application's user id (the token's subject); null in open mode. */
  identity: string | null;
  /** A display name the token imposes (it wins over the one the client asks for). */
  name?: string;
  grants: Grants;
  /** When the token was issued: tokens issued before a ban of their identity no longer open the room. */
  issuedAt: Date | null;
}

export const OPEN_PERMIT: Readonly<JoinPermit> = Object.freeze({
  identity: null,
  grants: ALL_GRANTS,
  issuedAt: null,
});

/**
 * Whether a token issued at `issuedAt` is shut out by a ban made at `bannedAt` (JWT `iat` has whole
 * seconds, so a token issued in the second of the ban counts as before it; no issue time: shut out).
 */
export function bannedBy(bannedAt: Date | undefined, issuedAt: Date | null): boolean {
  return bannedAt !== undefined && (!issuedAt || issuedAt.getTime() <= bannedAt.getTime());
}
