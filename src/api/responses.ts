import type { ErrorRequestHandler } from 'express';
import { type DocumentNode, type ExecutionResult, Kind, visit } from 'graphql';
import { logger } from '../shared/logger';
import { formatErrors, type formatError } from './errors';

const introspecting = new WeakMap<DocumentNode, boolean>();

/**
 * Whether a document reads the schema (`__schema`, `__type`); `__typename` is not introspection.
 * Remembered per document: cached documents are asked on every request (a walk was ~1 % of a
 * busy server's time).
 */
export function introspects(document: DocumentNode): boolean {
  let known = introspecting.get(document);
  if (known === undefined) introspecting.set(document, (known = walkForIntrospection(document)));
  return known;
}

function walkForIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD](field) {
      if (field.name.value === '__schema' || field.name.value === '__type') found = true;
    },
  });
  return found;
}

export function withFormattedErrors(
  result: ExecutionResult,
  format: typeof formatError,
): ExecutionResult | void {
  if (!result.errors?.length) return;
  return { ...result, errors: formatErrors(result.errors, format) as unknown as ExecutionResult['errors'] };
}

/** Errors raised before GraphQL runs (body too large, malformed JSON) still answer in GraphQL's shape. */
export const jsonErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = typeof error?.status === 'number' ? error.status : 500;
  if (status >= 500) logger.error({ err: error }, 'unexpected HTTP error');
  const code =
    error?.type === 'entity.too.large'
      ? 'PAYLOAD_TOO_LARGE'
      : status === 404
        ? 'NOT_FOUND'
        : status < 500
          ? 'BAD_REQUEST'
          : 'INTERNAL_SERVER_ERROR';
  const message =
    code === 'PAYLOAD_TOO_LARGE'
      ? 'The request body is too large.'
      : status < 500
        ? String(error?.message ?? 'Bad request')
        : 'Internal server error';
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
};
