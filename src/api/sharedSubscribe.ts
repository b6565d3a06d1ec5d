import {
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import { compiledAlready, compiledOnSecondUse } from './compiledOperations';
import type { SubscriptionOutlet } from './subscriptionOutlet';

/** Root subscription fields whose events read the same for every subscriber (nothing per caller). */
const SHAREABLE_FIELDS = new Set(['roomEvents']);

/**
 * graphql-js's `subscribe`, except that subscribers of a shareable field (`roomEvents`) that sent the
 * same document with the same variables share one execution per event: a room event delivered to
 * 50 watchers was executed 50 times (variables coerced, the selection walked), now once. The result
 * depends on the event, the document and the variables only: RoomEvent's fields read the event and
 * nothing of the caller (who may see a private message is decided before, in the event stream, per
 * subscriber). graphql-ws's document cache hands identical query texts the same DocumentNode.
 *
 * That one execution is graphql-jit's once a second subscriber sends the document
 * (compiledOnSecondUse, as for the everyday POST; with one subscriber there is nothing to share):
 * graphql-js's executor spent ~140 µs per room event under the events benchmark (coercing the
 * variables again, walking the selection), on the thread that answers joins. A document graphql-
 * jit cannot compile is executed by graphql-js, as before.
 *
 * With an `outlet` (graphql-ws), results without errors are written to the socket from here, and
 * the returned iterator yields only those with errors (graphql-ws formats and sends them) before
 * it ends: see SubscriptionOutlet.
 */
export async function sharedSubscribe(
  args: ExecutionArgs,
  outlet?: SubscriptionOutlet,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const key = shareKey(args);
  const run = (payload: unknown) => execute({ ...args, rootValue: payload });
  if (!key) return mapped(source, run, outlet);
  // This subscription counts as a use. One made before the document was compiled (a room's first
  // watcher) runs compiled too once a later use compiled it: as the first in each event's fan-out,
  // it is the one that executes the shared events.
  let compiled = compiledOnSecondUse(args.schema, args.document, args.operationName);
  const runShared = (payload: unknown) => {
    compiled ??= compiledAlready(args.schema, args.document, args.operationName);
    return compiled
      ? (compiled.query(payload, args.contextValue, args.variableValues ?? {}) as ReturnType<typeof execute>)
      : run(payload);
  };
  const map = (payload: unknown) => {
    if (typeof payload !== 'object' || payload === null) return run(payload);
    let results = executions.get(payload);
    if (!results) executions.set(payload, (results = new Map()));
    let result = results.get(key);
    if (!result) results.set(key, (result = runShared(payload)));
    return result;
  };
  return mapped(source, map, outlet);
}

/** Per event object: its executions by document and variables (gone with the event). */
const executions = new WeakMap<object, Map<string, ReturnType<typeof execute>>>();
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

function shareKey(args: ExecutionArgs): string | null {
  const operation = args.document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      (args.operationName == null || definition.name?.value === args.operationName),
  );
  const selections = operation?.selectionSet.selections ?? [];
  if (
    selections.length !== 1 ||
    selections[0].kind !== Kind.FIELD ||
    !SHAREABLE_FIELDS.has(selections[0].name.value)
  )
    return null;
  let id = documentIds.get(args.document);
  if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
  return `${id}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * The source's values through `map`; ending the result ends the source. With an `outlet`, results
 * without errors are sent through it as they come, and only the others are yielded.
 */
function mapped(
  source: AsyncIterable<unknown>,
  map: (value: unknown) => ReturnType<typeof execute>,
  outlet?: SubscriptionOutlet,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  // Set by return(): nothing is sent after it, though an event may already be on its way.
  let ended = false;
  const close = async (): Promise<IteratorResult<ExecutionResult>> => {
    ended = true;
    await iterator.return?.();
    return { done: true, value: undefined };
  };
  const generator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      for (;;) {
        const item = await iterator.next();
        if (item.done || ended) return { done: true, value: undefined };
        let result: ExecutionResult;
        try {
          const mappedValue = map(item.value);
          result = isPromiseLike(mappedValue) ? await mappedValue : mappedValue;
        } catch (error) {
          await iterator.return?.().catch(() => undefined);
          throw error;
        }
        if (!outlet || result.errors?.length) return { done: false, value: result };
        if (ended) return { done: true, value: undefined };
        const congested = outlet.send(result);
        if (congested) await congested;
      }
    },
    return: close,
    async throw(error?: unknown) {
      if (iterator.throw) {
        await iterator.throw(error);
        return close();
      }
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return generator;
    },
  };
  return generator;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}
