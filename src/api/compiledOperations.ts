import type { DocumentNode, GraphQLSchema } from 'graphql';
import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';

interface SchemaCompilations {
  uses: WeakMap<DocumentNode, number>;
  /** By document, then operation name ('' for none); null: graphql-jit could not compile it. */
  compiled: WeakMap<DocumentNode, Map<string, CompiledQuery | null>>;
}

const bySchema = new WeakMap<GraphQLSchema, SchemaCompilations>();

/**
 * graphql-jit's compiled operation for a parsed and validated document (the same DocumentNode for
 * the same text: see DocumentCache), made on the document's second use and kept with it: a flood
 * of one-off documents costs what graphql-js costs (parse and validate), not a compilation each
 * (~1-5 ms, more than interpreting a document once). Null on the first use and for a document
 * graphql-jit cannot compile: the caller runs graphql-js. Used by the everyday POST
 * (PreparedOperations), the socket's queries and mutations (executeCompiled) and the shared
 * execution of room events (sharedSubscribe).
 */
export function compiledOnSecondUse(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): CompiledQuery | null {
  let compilations = bySchema.get(schema);
  if (!compilations) bySchema.set(schema, (compilations = { uses: new WeakMap(), compiled: new WeakMap() }));
  const uses = (compilations.uses.get(document) ?? 0) + 1;
  compilations.uses.set(document, uses);
  if (uses < 2) return null;
  let byName = compilations.compiled.get(document);
  if (!byName) compilations.compiled.set(document, (byName = new Map()));
  const name = operationName ?? '';
  let compiled = byName.get(name);
  if (compiled === undefined) {
    const made = compileQuery(schema, document, operationName ?? undefined);
    compiled = isCompiledQuery(made) ? made : null;
    byName.set(name, compiled);
  }
  return compiled;
}

/**
 * The compiled operation if some use already made it (a use is not counted): what a long-lived
 * caller that asked before the document's second use runs once another caller got it compiled.
 */
export function compiledAlready(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): CompiledQuery | null {
  return (
    bySchema
      .get(schema)
      ?.compiled.get(document)
      ?.get(operationName ?? '') ?? null
  );
}
