import {
  execute,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type ExecutionResult,
  parse,
} from 'graphql';
import { sharedSubscribe } from '../../src/api/sharedSubscribe';
import { AsyncEventQueue } from '../../src/shared/AsyncEventQueue';

/** A schema with a shareable root field (roomEvents) and one that is not (negotiation). */
function schemaWith(sources: Array<AsyncEventQueue<object>>, executed: { count: number }) {
  const Event = new GraphQLObjectType({
    name: 'Event',
    fields: {
      sequence: {
        type: new GraphQLNonNull(GraphQLInt),
        resolve: (event: { sequence: number }) => {
          executed.count++;
          return event.sequence;
        },
      },
      room: { type: GraphQLString, args: { roomId: { type: GraphQLString } }, resolve: (_e, a) => a.roomId },
      broken: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('no such thing');
        },
      },
      context: { type: GraphQLString, resolve: (_e, _a, context: { who?: string }) => context?.who ?? null },
      /** No resolver of its own: graphql-js reads it through `fieldResolver`, a compiled function directly. */
      plain: { type: GraphQLInt },
    },
  });
  const stream = () => {
    const queue = new AsyncEventQueue<object>();
    sources.push(queue);
    return queue;
  };
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        roomEvents: {
          type: Event,
          args: { roomId: { type: GraphQLString } },
          subscribe: stream,
          resolve: (event: object) => event,
        },
        negotiation: { type: Event, subscribe: stream, resolve: (event: object) => event },
      },
    }),
  });
}

async function first(iterator: unknown): Promise<ExecutionResult> {
  const result = await (iterator as AsyncIterator<ExecutionResult>).next();
  return result.value as ExecutionResult;
}

describe('sharedSubscribe', () => {
  test('roomEvents subscribers with the same document and variables share one execution per event', async () => {
    const sources: Array<AsyncEventQueue<object>> = [];
    const executed = { count: 0 };
    const schema = schemaWith(sources, executed);
    const document = parse(
      'subscription ($r: String) { roomEvents(roomId: $r) { sequence room(roomId: $r) } }',
    );
    const a = await sharedSubscribe({ schema, document, variableValues: { r: 'one' } });
    const b = await sharedSubscribe({ schema, document, variableValues: { r: 'one' } });
    const other = await sharedSubscribe({ schema, document, variableValues: { r: 'two' } });
    const event = { sequence: 7 };
    for (const source of sources) source.push(event);
    const [ra, rb, ro] = await Promise.all([first(a), first(b), first(other)]);
    expect(ra).toEqual({ data: { roomEvents: { sequence: 7, room: 'one' } } });
    expect(rb).toBe(ra);
    expect(ro).toEqual({ data: { roomEvents: { sequence: 7, room: 'two' } } });
    expect(executed.count).toBe(2);
    // A different event object is executed again.
    const next = { sequence: 8 };
    for (const source of sources) source.push(next);
    expect((await first(a)).data).toEqual({ roomEvents: { sequence: 8, room: 'one' } });
    expect((await first(b)).data).toEqual({ roomEvents: { sequence: 8, room: 'one' } });
    expect(executed.count).toBe(3);
  });

  test('other fields are executed per subscriber; ending the result ends the source', async () => {
    const sources: Array<AsyncEventQueue<object>> = [];
    const executed = { count: 0 };
    const schema = schemaWith(sources, executed);
    const document = parse('subscription { negotiation { sequence } }');
    const a = (await sharedSubscribe({ schema, document })) as AsyncIterableIterator<ExecutionResult>;
    const b = (await sharedSubscribe({ schema, document })) as AsyncIterableIterator<ExecutionResult>;
    const event = { sequence: 1 };
    for (const source of sources) source.push(event);
    const [ra, rb] = await Promise.all([first(a), first(b)]);
    expect(ra).toEqual(rb);
    expect(ra).not.toBe(rb);
    expect(executed.count).toBe(2);
    await a.return?.();
    expect(await sources[0].next()).toEqual({ done: true, value: undefined });
  });

  test('the shared execution (graphql-jit) answers as graphql-js does: data, errors with their path, context, variables', async () => {
    const sources: Array<AsyncEventQueue<object>> = [];
    const schema = schemaWith(sources, { count: 0 });
    const document = parse(
      'subscription ($r: String) { roomEvents(roomId: $r) { sequence room(roomId: $r) broken context } }',
    );
    const contextValue = { who: 'ann' };
    // Compiled on the document's second subscription (the first runs on graphql-js).
    await sharedSubscribe({ schema, document, variableValues: { r: 'one' }, contextValue });
    const shared = await sharedSubscribe({ schema, document, variableValues: { r: 'one' }, contextValue });
    const event = { sequence: 3 };
    sources[1]!.push(event);
    const result = await first(shared);
    const expected = await execute({
      schema,
      document,
      rootValue: event,
      variableValues: { r: 'one' },
      contextValue,
    });
    expect(JSON.parse(JSON.stringify(result))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(result.errors?.[0]?.path).toEqual(['roomEvents', 'broken']);
    expect(result.data).toEqual({ roomEvents: { sequence: 3, room: 'one', broken: null, context: 'ann' } });
  });

  test('the first subscriber, subscribed before the document was compiled, runs the shared events compiled too', async () => {
    const sources: Array<AsyncEventQueue<object>> = [];
    const schema = schemaWith(sources, { count: 0 });
    const document = parse('subscription { roomEvents { sequence plain } }');
    // graphql-js calls fieldResolver for `plain`; graphql-jit's compiled function does not.
    let interpreted = 0;
    const fieldResolver = (source: { plain?: number }) => {
      interpreted++;
      return source.plain;
    };
    const early = await sharedSubscribe({ schema, document, fieldResolver });
    const later = await sharedSubscribe({ schema, document, fieldResolver });
    const event = { sequence: 1, plain: 7 };
    // As in a room: each event reaches the first watcher first, which executes it for both.
    sources[0]!.push(event);
    sources[1]!.push(event);
    const [a, b] = [await first(early), await first(later)];
    expect(a).toBe(b);
    expect(a.data).toEqual({ roomEvents: { sequence: 1, plain: 7 } });
    expect(interpreted).toBe(0);
  });
});
