import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { ErrorCode, isDomainError } from '../shared/errors';
import { logger } from '../shared/logger';

/** Codes of errors the client caused, raised by Apollo or graphql-js; shown as they are. */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  // The server's own codes, raised outside resolvers (limits, the introspection guard, subscriptions).
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
]);

/**
 * The one place errors are shaped for clients, over HTTP and graphql-ws alike:
 * domain errors keep their message and stable code; client mistakes keep graphql's message;
 * anything else is logged in full and masked as INTERNAL_SERVER_ERROR.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  let original = unwrapResolverError(error);
  // A subscription ended from the server (kick, ban, expiry) fails outside any field: no path.
  if (original instanceof GraphQLError && isDomainError(original.originalError))
    original = original.originalError;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  if (isDomainError(original)) {
    logClientMistake(original.code, formatted.path);
    return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
  }
  if (original instanceof ArgumentValidationError) {
    return { ...base, message: 'Invalid argument value.', extensions: { code: 'BAD_USER_INPUT' } };
  }
  // Apollo re-wraps validation errors as GRAPHQL_VALIDATION_FAILED; a limit keeps its own code.
  const wrapped = original instanceof GraphQLError ? original.originalError : undefined;
  const wrappedCode = wrapped instanceof GraphQLError ? wrapped.extensions?.code : undefined;
  if (typeof wrappedCode === 'string' && CLIENT_ERROR_CODES.has(wrappedCode)) {
    logClientMistake(wrappedCode, formatted.path);
    return { ...base, extensions: { code: wrappedCode } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
    logClientMistake(code, formatted.path);
    return { ...base, extensions: { code } };
  }
  // graphql-js's own errors (parse, validation, variable coercion) carry no original error.
  if (original instanceof GraphQLError && original.originalError === undefined && code === undefined) {
    return { ...base, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error while serving a GraphQL request');
  return {
    message: 'Internal server error',
    locations: base.locations,
    path: base.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Refusals worth noticing in the logs (probing, floods, revoked callers); other mistakes are routine. */
const NOTABLE_CODES = new Set<string>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.INVALID_TOKEN,
  ErrorCode.BANNED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.TOO_MANY_ROOT_FIELDS,
  ErrorCode.TOO_MANY_ALIASES,
  ErrorCode.TOO_MANY_SUBSCRIPTIONS,
  ErrorCode.TOO_MANY_TRACKS,
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
]);

/** A client's mistake: one line, no stack (info for refusals worth noticing, debug for the rest). */
function logClientMistake(code: string, path: GraphQLFormattedError['path']): void {
  if (NOTABLE_CODES.has(code)) logger.info({ code, path }, 'request refused');
  else logger.debug({ code, path }, 'client error');
}

export function formatErrors(errors: readonly GraphQLError[], format = formatError): GraphQLFormattedError[] {
  return errors.map((error) => format(error.toJSON(), error));
}
