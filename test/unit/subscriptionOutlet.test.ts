import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ExecutionResult,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type DocumentNode,
} from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { sharedSubscribe } from '../../src/api/sharedSubscribe';
import { SubscriptionOutlet } from '../../src/api/subscriptionOutlet';
import { withFormattedErrors } from '../../src/api/responses';
import { AsyncEventQueue } from '../../src/shared/AsyncEventQueue';

interface Event {
  sequence: number;
  text?: string;
  broken?: boolean;
}

// A real graphql-ws server and clients on 127.0.0.1, wired as server.ts wires them: sharedSubscribe
// with each operation's outlet, onNext formatting errors.
describe('subscription results written through the outlet', () => {
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  let sources: Array<AsyncEventQueue<Event>>;
  let maxBuffered: number;
  /** Sources ended (by their reader, or failed on overflow). */
  let ended: number;
  const clients: Client[] = [];
  const documents = new Map<string, DocumentNode>();

  const EventType = new GraphQLObjectType({
    name: 'Event',
    fields: {
      sequence: { type: new GraphQLNonNull(GraphQLInt) },
      text: { type: GraphQLString },
      broken: {
        type: GraphQLString,
        resolve: (event: Event) => {
          if (event.broken) throw new Error('boom');
          return null;
        },
      },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        roomEvents: {
          type: EventType,
          subscribe: () => {
            const queue = new AsyncEventQueue<Event>(() => ended++, maxBuffered);
            sources.push(queue);
            return queue;
          },
          resolve: (event: Event) => event,
        },
      },
    }),
  });

  beforeEach(async () => {
    sources = [];
    ended = 0;
    maxBuffered = 10_000;
    http = createServer();
    wss = new WebSocketServer({ server: http });
    useServer(
      {
        schema,
        // As the server's document cache: subscribers sending the same text share one document.
        parse: (source) => {
          const text = typeof source === 'string' ? source : source.body;
          let document = documents.get(text);
          if (!document) documents.set(text, (document = parse(text)));
          return document;
        },
        context: (ctx, id) => ({ outlet: new SubscriptionOutlet(ctx.extra.socket, id) }),
        subscribe: (args) =>
          sharedSubscribe(args, (args.contextValue as { outlet: SubscriptionOutlet }).outlet),
        onNext: (_ctx, _id, _payload, _args, result) =>
          withFormattedErrors(result as ExecutionResult, (error) => ({
            message: `formatted: ${error.message}`,
            extensions: { code: 'FORMATTED' },
          })),
      },
      wss,
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.dispose();
    for (const socket of wss.clients) socket.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  });

  const query = 'subscription { roomEvents { sequence text broken } }';

  /** Subscribes `count` clients; each promise holds what its client received once it completed. */
  async function watchers(count: number) {
    const results = Array.from({ length: count }, () => {
      const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
      clients.push(client);
      const values: unknown[] = [];
      let unsubscribe = () => undefined as void;
      const done = new Promise<unknown[]>((resolve, reject) => {
        unsubscribe = client.subscribe(
          { query },
          { next: (value) => values.push(value), error: reject, complete: () => resolve(values) },
        );
      });
      return { done, values, unsubscribe: () => unsubscribe() };
    });
    while (sources.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    return results;
  }

  const event = (sequence: number, text = `e${sequence}`) => ({
    data: { roomEvents: { sequence, text, broken: null } },
  });

  test('every subscriber gets every result in order, each made into JSON once, then complete', async () => {
    const watching = await watchers(3);
    const text = 'quotes " backslash \\ newline \n and é ✓';
    const stringify = jest.spyOn(JSON, 'stringify');
    // The same event objects for every subscriber, as a room's event stream hands them out.
    const events = [1, 2, 3].map((sequence) => ({ sequence, text }));
    for (const value of events) for (const source of sources) source.push(value);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const payloadsMade = stringify.mock.calls.filter(([value]) => {
      const data = (value as ExecutionResult | null)?.data as { roomEvents?: unknown } | undefined;
      return data?.roomEvents !== undefined;
    }).length;
    stringify.mockRestore();
    for (const source of sources) source.end();
    for (const { done } of watching)
      expect(await done).toEqual([event(1, text), event(2, text), event(3, text)]);
    // Once per event, not once per event and subscriber (9).
    expect(payloadsMade).toBe(3);
  });

  test('results with errors are formatted for each subscriber, in order with the others', async () => {
    const watching = await watchers(2);
    const events: Event[] = [
      { sequence: 1, text: 'e1' },
      { sequence: 2, broken: true },
      { sequence: 3, text: 'e3' },
    ];
    for (const value of events) for (const source of sources) source.push(value);
    for (const source of sources) source.end();
    for (const { done } of watching)
      expect(await done).toEqual([
        event(1),
        {
          data: { roomEvents: { sequence: 2, text: null, broken: null } },
          errors: [{ message: 'formatted: boom', extensions: { code: 'FORMATTED' } }],
        },
        event(3),
      ]);
  });

  test('a subscriber that completes gets nothing more and its source is ended; the others go on', async () => {
    const [leaving, staying] = await watchers(2);
    for (const source of sources) source.push({ sequence: 1, text: 'e1' });
    while (leaving.values.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    leaving.unsubscribe();
    // The server ends the leaving subscription's source when graphql-ws returns it.
    while (ended < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const source of sources) source.push({ sequence: 2, text: 'e2' });
    sources[1].end();
    expect(await staying.done).toEqual([event(1), event(2)]);
    expect(leaving.values).toEqual([event(1)]);
  });

  test('a socket that does not read holds the subscription back: its bounded source overflows, the server does not buffer it all', async () => {
    maxBuffered = 50;
    const socket = new WebSocket(url, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    while (sources.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    // The client stops reading: what the server writes piles up in the kernel, then in the server.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const source = sources[0];
    const [serverSocket] = [...wss.clients];
    const text = 'x'.repeat(16 * 1024);
    for (let sequence = 1; sequence <= 2_000 && ended === 0; sequence++) {
      source.push({ sequence, text });
      if (sequence % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const overflowed = ended === 1;
    expect(overflowed).toBe(true);
    // What the server holds for the socket stays near the high-water mark, not 2,000 × 16 kB.
    expect(serverSocket.bufferedAmount).toBeLessThan(1024 * 1024);
    socket.terminate();
  });
});
