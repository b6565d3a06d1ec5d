import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  parse,
  type ParseOptions,
  type Source,
  type ValidationRule,
  validate,
} from 'graphql';

/**
 * Parsed and validated documents of graphql-ws operations, by query text: a client sends the same
 * few operations over and over (the SDK's join, negotiate, roomEvents), and parsing plus validating
 * one (graphql-js's rules, then the depth and cost limits) costs more than executing it.
 * Apollo does the same for HTTP with its own document store.
 *
 * Bounded: at most `maxEntries` documents, least recently used out first; long texts are not kept.
 * Only documents that passed validation are remembered, so errors are always computed afresh.
 */
export class DocumentCache {
  readonly #documents = new Map<string, DocumentNode>();
  readonly #valid = new WeakSet<DocumentNode>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly rules: readonly ValidationRule[],
    private readonly maxEntries = 500,
    private readonly maxQueryLength = 16_384,
  ) {}

  /** graphql-ws's `parse`: the cached document, or a new one (errors thrown as graphql-js does). */
  parse = (source: string | Source, options?: ParseOptions): DocumentNode => {
    if (typeof source !== 'string' || options) return parse(source, options);
    const query = source;
    const cached = this.#documents.get(query);
    if (cached) {
      // Most recently used last.
      this.#documents.delete(query);
      this.#documents.set(query, cached);
      this.hits++;
      return cached;
    }
    this.misses++;
    const document = parse(query);
    if (query.length <= this.maxQueryLength) {
      this.#documents.set(query, document);
      if (this.#documents.size > this.maxEntries) {
        const oldest = this.#documents.keys().next().value;
        if (oldest !== undefined) this.#documents.delete(oldest);
      }
    }
    return document;
  };

  /** graphql-ws's `validate`: a document already validated against this schema has no errors. */
  validate = (schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] => {
    if (this.#valid.has(document)) return [];
    const errors = validate(schema, document, this.rules);
    if (errors.length === 0) this.#valid.add(document);
    return errors;
  };

  get size(): number {
    return this.#documents.size;
  }
}
