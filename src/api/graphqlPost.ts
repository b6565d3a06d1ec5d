import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import { logger } from '../shared/logger';
import type { ApiContext } from './context';
import { type OriginPolicy, setSecurityHeaders } from './edge';
import type { PreparedOperations } from './preparedOperations';

export interface GraphQLPostOptions {
  apollo: ApolloServer<ApiContext>;
  context: (req: IncomingMessage) => ApiContext;
  /** Open mode: the origin and host check (null in secured mode). */
  origins: OriginPolicy | null;
  /** Largest accepted body in bytes. */
  bodyLimit: number;
  /** Cluster: the other nodes' origins (CSP and CORS for a page a drain moved here). */
  nodeOrigins?: () => readonly string[];
  /** Cluster: a request another node forwarded (its client's origin was checked there). */
  forwardedByNode?: (req: IncomingMessage) => boolean;
  /** Cluster: the holder's answer for an operation about a room held elsewhere; null: run here. */
  forward?: (req: IncomingMessage, body: unknown) => Promise<{ status: number; result: unknown } | null>;
  /** Valid, allowed queries and mutations seen before, answered without Apollo (null: Apollo's). */
  prepared?: PreparedOperations;
}

/**
 * Whether a request is a plain GraphQL POST (`/graphql`, a JSON body, not compressed): the one
 * request clients make over and over (join, answer, rooms). Anything else goes through express.
 */
export function isGraphQLPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (url !== '/graphql' && !url.startsWith('/graphql?')) return false;
  const type = req.headers['content-type'];
  if (typeof type !== 'string' || !/^application\/json\s*(;|$)/i.test(type)) return false;
  const encoding = req.headers['content-encoding'];
  return encoding === undefined || encoding === 'identity';
}

/**
 * Answers a plain GraphQL POST with Apollo directly, as express (security headers, the open-mode
 * origin check, `express.json` with its size limit) and Apollo's express integration would, without
 * express's router, body parser and response helpers: on this path they cost more CPU than Apollo
 * and the resolvers together (about 350 µs a request under the benchmark's load, against ~120 µs
 * for the whole of the bare baseline's answer). Errors keep their shapes and codes
 * (PAYLOAD_TOO_LARGE 413, BAD_REQUEST 400, FORBIDDEN_ORIGIN 403).
 */
export async function answerGraphQLPost(
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLPostOptions,
): Promise<void> {
  const nodeOrigins = options.nodeOrigins?.() ?? [];
  setSecurityHeaders(req.headers, res, nodeOrigins);
  const origin = req.headers.origin;
  if (origin && nodeOrigins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  const refusal = options.forwardedByNode?.(req) ? null : options.origins?.refusal(req.headers);
  if (refusal) return sendError(res, 403, 'FORBIDDEN_ORIGIN', refusal);
  let body: unknown;
  try {
    body = await readJson(req, options.bodyLimit);
  } catch (error) {
    if (error instanceof TooLarge)
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
    return sendError(res, 400, 'BAD_REQUEST', error instanceof Error ? error.message : 'Bad request');
  }
  try {
    const forwarded = await options.forward?.(req, body);
    if (forwarded) {
      res.statusCode = forwarded.status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(forwarded.result));
      return;
    }
    const prepared = await options.prepared?.answer(req.headers, body, () => options.context(req));
    if (typeof prepared === 'string') {
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(prepared);
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: query < 0 ? '' : url.slice(query), body },
      context: async () => options.context(req),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  } catch (error) {
    logger.error({ err: error }, 'unexpected HTTP error');
    if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    else res.destroy();
  }
}

class TooLarge extends Error {}

/** The body as JSON (an object or array, as express.json's strict mode), at most `limit` bytes. */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      return reject(new TooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      failed = true;
      reject(error);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value !== 'object' || value === null)
          throw new SyntaxError('The body must be a JSON object.');
        resolve(value);
      } catch (error) {
        reject(error);
      }
    });
  });
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** '1mb', '100kb', '512b' or a number of bytes (express's limits, binary units). */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
  if (!match) throw new Error(`not a size: ${value}`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(match[1]) * unit);
}
