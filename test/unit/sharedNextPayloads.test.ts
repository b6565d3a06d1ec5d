import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, type ExecutionResult, GraphQLError } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { expandSharedPayloads, nextPayload } from '../../src/api/sharedNextPayloads';

// A real graphql-ws server and clients on 127.0.0.1, with the same onNext and send as server.ts; the
// subscription hands every subscriber the same result objects, as sharedSubscribe does.
describe('shared next payloads', () => {
  const schema = buildSchema(`
    type Query { ok: Boolean }
    type Event { sequence: Int, text: String }
    type Subscription { roomEvents: Event }
  `);
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  let results: ExecutionResult[];
  let subscribed: number;
  let release: () => void;
  let released: Promise<void>;
  const clients: Client[] = [];

  beforeEach(async () => {
    subscribed = 0;
    released = new Promise((resolve) => (release = resolve));
    http = createServer();
    wss = new WebSocketServer({ server: http });
    expandSharedPayloads(wss);
    useServer(
      {
        schema,
        subscribe: async () => {
          subscribed++;
          return (async function* () {
            await released;
            yield* results;
          })();
        },
        onNext: (_ctx, _id, _payload, _args, result) =>
          nextPayload(result as ExecutionResult, (error) => ({
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
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  });

  /** Subscribes `count` clients and collects what each receives until its subscription completes. */
  async function watchers(count: number): Promise<Array<Promise<unknown[]>>> {
    const received = Array.from({ length: count }, () => {
      const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
      clients.push(client);
      const values: unknown[] = [];
      return new Promise<unknown[]>((resolve, reject) =>
        client.subscribe(
          { query: 'subscription { roomEvents { sequence text } }' },
          { next: (value) => values.push(value), error: reject, complete: () => resolve(values) },
        ),
      );
    });
    while (subscribed < count) await new Promise((resolve) => setTimeout(resolve, 5));
    return received;
  }

  test('each shared result is turned into JSON once, and every subscriber gets it whole', async () => {
    let reads = 0;
    const text = 'quotes " backslash \\ newline \n and é ✓';
    results = [1, 2, 3].map((sequence) => ({
      data: {
        roomEvents: {
          get sequence() {
            reads++;
            return sequence;
          },
          text,
        },
      },
    }));
    const received = await watchers(3);
    release();
    const expected = [1, 2, 3].map((sequence) => ({ data: { roomEvents: { sequence, text } } }));
    for (const values of await Promise.all(received)) expect(values).toEqual(expected);
    // Once per result, not once per result and subscriber (9 before).
    expect(reads).toBe(3);
  });

  test('a payload holding the marker text itself arrives as it was', async () => {
    results = [{ data: { roomEvents: { sequence: 1, text: '\u0000shared-payload' } } }];
    const received = await watchers(2);
    release();
    for (const values of await Promise.all(received))
      expect(values).toEqual([{ data: { roomEvents: { sequence: 1, text: '\u0000shared-payload' } } }]);
  });

  test('results with errors are still formatted for each subscriber', async () => {
    results = [
      { data: { roomEvents: null }, errors: [new GraphQLError('boom', { extensions: { code: 'X' } })] },
      { data: { roomEvents: { sequence: 2, text: 'after' } } },
    ];
    const received = await watchers(2);
    release();
    for (const values of await Promise.all(received))
      expect(values).toEqual([
        {
          data: { roomEvents: null },
          errors: [{ message: 'formatted: boom', extensions: { code: 'FORMATTED' } }],
        },
        { data: { roomEvents: { sequence: 2, text: 'after' } } },
      ]);
  });
});
