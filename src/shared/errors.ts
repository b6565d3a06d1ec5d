/**
 * Stable error codes. Clients switch on these strings (they reach GraphQL as `extensions.code`),
 * so a code, once published, never changes meaning.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  ROOM_CLOSED: 'ROOM_CLOSED',
  /** Cluster: another node holds the room (internal: the request is routed there again). */
  ROOM_ELSEWHERE: 'ROOM_ELSEWHERE',
  /** Cluster: the room moved to another node (drain); `extensions.url` says where to rejoin. */
  ROOM_MOVED: 'ROOM_MOVED',
  /** Cluster: the node holding the room or participant stopped answering. */
  NODE_UNAVAILABLE: 'NODE_UNAVAILABLE',
  ROOM_FULL: 'ROOM_FULL',
  ROOM_EXISTS: 'ROOM_EXISTS',
  TOO_MANY_ROOMS: 'TOO_MANY_ROOMS',
  RATE_LIMITED: 'RATE_LIMITED',
  PARTICIPANT_NOT_FOUND: 'PARTICIPANT_NOT_FOUND',
  TRACK_NOT_FOUND: 'TRACK_NOT_FOUND',
  /** A stream the participant does not receive (setPreferredLayer). */
  STREAM_NOT_FOUND: 'STREAM_NOT_FOUND',
  /** No recording with that id. */
  RECORDING_NOT_FOUND: 'RECORDING_NOT_FOUND',
  /** The room is being recorded already (one recording at a time per room). */
  RECORDING_IN_PROGRESS: 'RECORDING_IN_PROGRESS',
  INVALID_SDP: 'INVALID_SDP',
  STALE_OFFER: 'STALE_OFFER',
  NO_PENDING_OFFER: 'NO_PENDING_OFFER',
  NEGOTIATION_CONFLICT: 'NEGOTIATION_CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  /** A signed token whose signature, issuer or claims are wrong. */
  INVALID_TOKEN: 'INVALID_TOKEN',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** The identity was kicked with a ban and the token predates the ban. */
  BANNED: 'BANNED',
  /** A moderator removed the caller (its subscriptions end with this code). */
  KICKED: 'KICKED',
  /** A document with more root fields (aliases included) than allowed; nothing of it ran. */
  TOO_MANY_ROOT_FIELDS: 'TOO_MANY_ROOT_FIELDS',
  /** A document with more aliases than allowed; nothing of it ran. */
  TOO_MANY_ALIASES: 'TOO_MANY_ALIASES',
  /** More subscriptions than allowed on one connection, or following one room. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** An offer that sends more tracks than one participant may publish. */
  TOO_MANY_TRACKS: 'TOO_MANY_TRACKS',
  /** Open mode: a request from another web origin or host name (CSRF, DNS rebinding). */
  FORBIDDEN_ORIGIN: 'FORBIDDEN_ORIGIN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error whose message is safe to show to the client that caused it. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
