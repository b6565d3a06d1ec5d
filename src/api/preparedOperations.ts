import type { IncomingHttpHeaders } from 'node:http';
import {
  type DocumentNode,
  type ExecutionResult,
  getOperationAST,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { compiledOnSecondUse } from './compiledOperations';
import type { ApiContext } from './context';
import type { DocumentCache } from './documentCache';
import type { formatError } from './errors';
import { introspects, withFormattedErrors } from './responses';

export interface PreparedOperationsOptions {
  schema: GraphQLSchema;
  /** Parsed and validated documents (graphql-js's rules and our limits), shared with graphql-ws. */
  documents: DocumentCache;
  /** The checks made with the request's variables and caller (ApiServer's #refusal). */
  refusal: (
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
    context: ApiContext,
  ) => GraphQLError | null;
  format: typeof formatError;
}

interface PostBody {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/**
 * The everyday GraphQL POST (a query or mutation that is valid, allowed and was seen before),
 * answered without Apollo's request pipeline and executed by graphql-jit.
 *
 * Measured on `rooms(first: 20)` with 4 keep-alive clients: the server spent about 200 µs per
 * request, of which Apollo's pipeline (hashing the query, its document store, content
 * negotiation, its response writer) took ~60 µs and graphql-js's executor, which interprets the
 * document field by field on each request, most of the rest. graphql-jit compiles each document
 * once into a function that calls the same resolvers (type-graphql's, with their guards and
 * validation) in the same order, mutations' root fields one after another.
 *
 * A document's first request is Apollo's too. Anything else is left to Apollo, which then answers
 * exactly as before: a document that does not
 * parse or validate (its errors and HTTP 400), subscriptions, introspection, a refused request, an
 * `Accept` asking for another media type, persisted-query extensions, variables that do not fit the
 * operation (nothing ran yet; Apollo answers 400 BAD_USER_INPUT), and documents graphql-jit cannot
 * compile. Errors raised while executing are shaped by the same formatError as Apollo's.
 */
export class PreparedOperations {
  /** Requests answered here, and those left to Apollo (metrics, tests). */
  answered = 0;
  declined = 0;

  constructor(private readonly options: PreparedOperationsOptions) {}

  /**
   * The response body (HTTP 200) for this request, or null for Apollo to answer it. `context` is
   * asked for only once the request qualifies.
   */
  async answer(
    headers: IncomingHttpHeaders,
    body: unknown,
    context: () => ApiContext,
  ): Promise<string | null> {
    const request = plainRequest(headers, body);
    const prepared = request && this.#prepare(request);
    if (!request || !prepared) {
      this.declined++;
      return null;
    }
    const contextValue = context();
    if (this.options.refusal(prepared.document, request.operationName, request.variables, contextValue)) {
      this.declined++;
      return null;
    }
    const result = (await prepared.compiled.query(
      undefined,
      contextValue,
      request.variables ?? {},
    )) as ExecutionResult;
    // Variables that do not fit: graphql-jit stops before any resolver ran, as graphql-js does.
    if (result.data === undefined && result.errors?.length) {
      this.declined++;
      return null;
    }
    this.answered++;
    const formatted = withFormattedErrors(result, this.options.format);
    // Apollo's key order: errors first.
    return `${JSON.stringify(formatted ? { errors: formatted.errors, data: formatted.data } : { data: result.data })}\n`;
  }

  #prepare(request: PostBody): { document: DocumentNode; compiled: CompiledQuery } | null {
    const { schema, documents } = this.options;
    let document: DocumentNode;
    try {
      document = documents.parse(request.query);
    } catch {
      return null;
    }
    if (documents.validate(schema, document).length > 0) return null;
    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation || operation.operation === 'subscription' || introspects(document)) return null;
    const compiled = compiledOnSecondUse(schema, document, request.operationName);
    return compiled ? { document, compiled } : null;
  }
}

/** A JSON POST body with nothing but query, variables and operationName, for a JSON answer. */
function plainRequest(headers: IncomingHttpHeaders, body: unknown): PostBody | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, variables, operationName, ...rest } = body as Record<string, unknown>;
  if (typeof query !== 'string' || Object.keys(rest).length > 0) return null;
  if (
    variables !== undefined &&
    variables !== null &&
    (typeof variables !== 'object' || Array.isArray(variables))
  )
    return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  // Apollo answers `application/graphql-response+json` when asked first; leave that to it.
  const accept = headers.accept;
  if (accept && !/(^|,)\s*(application\/json|\*\/\*)/.test(accept)) return null;
  if (accept?.includes('graphql-response+json')) return null;
  return {
    query,
    variables: variables as Record<string, unknown> | null | undefined,
    operationName: operationName as string | null | undefined,
  };
}
