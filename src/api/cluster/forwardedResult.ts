import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError, type ErrorCode, isDomainError } from '../../shared/errors';

/**
 * The answer of a node that ran an operation for this one, made an ExecutionResult again: each
 * error becomes a domain error with its code and details, so this node's error shaping (the same
 * as the holder's) passes it on unchanged.
 */
export function forwardedResult(result: ExecutionResult): ExecutionResult {
  const errors = (result.errors as unknown as GraphQLFormattedError[] | undefined)?.map((error) => {
    const { code, ...details } = (error.extensions ?? {}) as { code?: string } & Record<string, unknown>;
    return new GraphQLError(error.message, {
      path: error.path,
      originalError: new DomainError((code ?? 'INTERNAL_SERVER_ERROR') as ErrorCode, error.message, details),
    });
  });
  return errors ? { ...result, errors } : result;
}

/** A refusal made before anything ran (routing), as an operation's one result. */
export function refusalResult(error: unknown): ExecutionResult {
  if (!isDomainError(error)) throw error;
  return { errors: [new GraphQLError(error.message, { originalError: error })] };
}
