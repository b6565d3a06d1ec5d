import { execute, type ExecutionArgs, type ExecutionResult, getOperationAST } from 'graphql';
import { compiledOnSecondUse } from './compiledOperations';
import { introspects } from './responses';

/**
 * graphql-js's `execute` for the queries and mutations that arrive on graphql-ws sockets, run by
 * graphql-jit from a document's second use (compiledOnSecondUse), as the everyday POST is.
 *
 * The SDK joins on its socket and sends its answers and renegotiations there, so every join ran
 * through graphql-js's executor, which coerces the variables and walks the selection field by
 * field each time (~0.5 ms of the main thread per join under the events benchmark, 200 joins: 97-127
 * ms in graphql-js). The compiled function calls the same resolvers (type-graphql's, with their
 * guards and validation) in the same order, mutations' root fields one after another.
 *
 * Left to graphql-js: subscriptions (sharedSubscribe), introspection, a document's first use, what
 * graphql-jit cannot compile, and variables that do not fit the operation (graphql-jit stops before
 * any resolver ran, as graphql-js does; graphql-js then says why in its own words).
 */
export function executeCompiled(args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult> {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  if (!operation || operation.operation === 'subscription' || introspects(args.document))
    return execute(args);
  const compiled = compiledOnSecondUse(args.schema, args.document, args.operationName);
  if (!compiled) return execute(args);
  const result = compiled.query(args.rootValue, args.contextValue, args.variableValues ?? {});
  return result instanceof Promise
    ? result.then((settled) => (ranResolvers(settled) ? settled : execute(args)))
    : ranResolvers(result)
      ? result
      : execute(args);
}

/** Whether execution got as far as the resolvers: not when the variables were refused. */
const ranResolvers = (result: ExecutionResult): boolean =>
  !(result.data === undefined && result.errors?.length);
