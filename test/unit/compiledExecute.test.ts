import {
  execute,
  type ExecutionArgs,
  GraphQLError,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { executeCompiled } from '../../src/api/compiledExecute';

/**
 * The socket's queries and mutations run on graphql-jit from a document's second use: the answer
 * must be graphql-js's (data, errors with their path and extensions, mutations in order, the
 * context and variables the resolvers see), and what graphql-jit does not take is graphql-js's.
 * Root fields have resolvers of their own, as type-graphql's do.
 */
describe('executeCompiled', () => {
  let order = 0;
  let resolved = 0;
  const Joined = new GraphQLObjectType({
    name: 'Joined',
    fields: {
      roomId: { type: new GraphQLNonNull(GraphQLID) },
      name: { type: GraphQLString },
      order: { type: new GraphQLNonNull(GraphQLInt) },
      who: { type: GraphQLString },
    },
  });
  const JoinInput = new GraphQLInputObjectType({
    name: 'JoinInput',
    fields: { roomId: { type: new GraphQLNonNull(GraphQLID) }, name: { type: GraphQLString } },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        hello: {
          type: GraphQLString,
          args: { name: { type: GraphQLString } },
          resolve: (_root, { name }: { name?: string }) => `hello ${name ?? 'you'}`,
        },
        broken: {
          type: GraphQLString,
          resolve: () => {
            resolved++;
            throw new GraphQLError('Room "r" is full.', { extensions: { code: 'ROOM_FULL' } });
          },
        },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        join: {
          type: new GraphQLNonNull(Joined),
          args: { input: { type: new GraphQLNonNull(JoinInput) } },
          resolve: (
            _root,
            { input }: { input: { roomId: string; name?: string } },
            context: { who: string },
          ) => {
            resolved++;
            return { ...input, order: ++order, who: context.who };
          },
        },
        later: {
          type: GraphQLInt,
          resolve: async () => {
            resolved++;
            await new Promise((resolve) => setTimeout(resolve, 1));
            return ++order;
          },
        },
      },
    }),
  });

  const args = (source: string, variableValues?: Record<string, unknown>): ExecutionArgs => ({
    schema,
    document: parse(source),
    contextValue: { who: 'ada' },
    variableValues,
  });
  const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

  /** graphql-js's answer and executeCompiled's, on the document's first and second use. */
  async function both(source: string, variables?: Record<string, unknown>) {
    order = 0;
    const reference = plain(await execute(args(source, variables)));
    const same = args(source, variables);
    order = 0;
    const first = plain(await executeCompiled(same));
    order = 0;
    const second = plain(await executeCompiled({ ...same }));
    return { reference, first, second };
  }

  test('queries and mutations answer as graphql-js does, with the resolvers seeing the same', async () => {
    for (const [source, variables] of [
      ['query ($n: String) { hello(name: $n) a: hello }', { n: 'bob' }],
      [
        'mutation ($i: JoinInput!) { join(input: $i) { roomId name order who } later second: join(input: $i) { order } }',
        { i: { roomId: 'r', name: 'Ada' } },
      ],
      ['query { hello broken }', undefined],
    ] as const) {
      const { reference, first, second } = await both(source, variables);
      expect(first).toEqual(reference);
      expect(second).toEqual(reference);
    }
    expect((await both('query { broken }')).second.errors).toEqual([
      {
        message: 'Room "r" is full.',
        locations: [{ line: 1, column: 9 }],
        path: ['broken'],
        extensions: { code: 'ROOM_FULL' },
      },
    ]);
  });

  test('variables that do not fit run nothing and get graphql-js’s own errors', async () => {
    const source = 'mutation ($i: JoinInput!) { join(input: $i) { order } }';
    resolved = 0;
    const { reference, second } = await both(source, { i: { name: 'no room' } });
    expect(second).toEqual(reference);
    expect(second.errors[0].message).toMatch(/Field "roomId" of required type "ID!" was not provided/);
    expect(resolved).toBe(0);
  });

  test('the second use is graphql-jit’s compiled function, not graphql-js’s executor', async () => {
    // graphql-js calls `fieldResolver` for each field without a resolver of its own (Joined's); a
    // compiled function was made without it (graphql-ws never passes one): it tells them apart.
    let interpreted = 0;
    const same = {
      ...args('mutation { join(input: { roomId: "r" }) { roomId } }'),
      fieldResolver: (source: Record<string, unknown>) => {
        interpreted++;
        return source.roomId;
      },
    };
    expect(await executeCompiled(same)).toEqual({ data: { join: { roomId: 'r' } } });
    expect(interpreted).toBe(1);
    expect(await executeCompiled(same)).toEqual({ data: { join: { roomId: 'r' } } });
    expect(interpreted).toBe(1);
  });
});
