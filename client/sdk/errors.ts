import type { ApiErrorCode } from './generated/errorCodes';

/**
 * Error codes of the API (`extensions.code`, generated from the server's registry by
 * `npm run codegen`) plus the SDK's own.
 */
export type ErrorCode =
  | ApiErrorCode
  /** The server could not be reached (network error, HTTP without a GraphQL body). */
  | 'NETWORK_ERROR'
  /** The media connection failed. */
  | 'MEDIA_FAILED'
  | (string & {});

export { API_ERROR_CODES, type ApiErrorCode } from './generated/errorCodes';

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

/** `error` as a ConferenceError (anything else becomes INTERNAL_SERVER_ERROR, with it as details). */
export function asConferenceError(error: unknown): ConferenceError {
  return error instanceof ConferenceError
    ? error
    : new ConferenceError('INTERNAL_SERVER_ERROR', String(error), error);
}

/**
 * Where a ROOM_MOVED error says the room went (a cluster node being drained hands its rooms to
 * another): that node's URL, to join again there; null for any other error.
 */
export function movedTo(error: ConferenceError): string | null {
  if (error.code !== 'ROOM_MOVED' || !Array.isArray(error.details)) return null;
  const url = (error.details[0] as { extensions?: { url?: unknown } } | undefined)?.extensions?.url;
  return typeof url === 'string' && /^https?:\/\//.test(url) ? url : null;
}
