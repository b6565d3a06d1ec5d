/** Error codes of the API (`extensions.code`) plus the SDK's own. */
export type ErrorCode =
  | 'ROOM_FULL'
  | 'ROOM_CLOSED'
  | 'ROOM_NOT_FOUND'
  | 'INVALID_SDP'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PARTICIPANT_NOT_FOUND'
  | 'STREAM_NOT_FOUND'
  | 'NEGOTIATION_CONFLICT'
  | 'STALE_OFFER'
  | 'NO_PENDING_OFFER'
  | 'BAD_USER_INPUT'
  | 'INTERNAL_SERVER_ERROR'
  /** The server could not be reached (network error, HTTP without a GraphQL body). */
  | 'NETWORK_ERROR'
  /** The media connection failed. */
  | 'MEDIA_FAILED'
  | (string & {});

/** An error with the API's stable code, e.g. `err.code === 'ROOM_FULL'`. */
export class ConferenceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ConferenceError';
  }
}

export function errorCode(error: unknown): ErrorCode | undefined {
  return error instanceof ConferenceError ? error.code : undefined;
}
