import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { batchWritesPerTick, EARLY_ACK_BYTES } from '../../src/api/tickBatchedWrites';

// A real ws server and client on 127.0.0.1; the system calls are counted on the server's TCP
// socket (`_writev` is one `writev`, `_write` one `write`).
describe('batchWritesPerTick', () => {
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  let serverSide: Promise<{ socket: WebSocket; writes: () => number }>;

  beforeEach(async () => {
    http = createServer();
    wss = new WebSocketServer({ server: http });
    batchWritesPerTick(wss);
    serverSide = new Promise((resolve) =>
      wss.on('connection', (socket, request) => {
        const raw = request.socket as Socket & {
          _writev: (...args: unknown[]) => unknown;
          _write: (...args: unknown[]) => unknown;
        };
        let writes = 0;
        for (const name of ['_writev', '_write'] as const) {
          const original = raw[name];
          raw[name] = function (this: unknown, ...args: unknown[]) {
            writes++;
            return original.apply(this, args);
          };
        }
        resolve({ socket, writes: () => writes });
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const socket of wss.clients) socket.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  });

  async function client(): Promise<{ ws: WebSocket; received: string[]; closed: Promise<void> }> {
    const ws = new WebSocket(url);
    const received: string[] = [];
    ws.on('message', (data) => received.push(data.toString()));
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
    return { ws, received, closed };
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  test('messages sent in one tick, from microtasks too, leave in one write, in order', async () => {
    const { received } = await client();
    const { socket, writes } = await serverSide;
    const before = writes();
    socket.send('a');
    socket.send('b');
    void Promise.resolve().then(() => socket.send('c'));
    await until(() => received.length === 3);
    expect(received).toEqual(['a', 'b', 'c']);
    expect(writes() - before).toBe(1);
  });

  // graphql-ws's socket adapter: each message is sent once the previous one's callback ran.
  async function sendInTurn(socket: WebSocket, messages: string[]): Promise<void> {
    for (const message of messages)
      await new Promise<void>((resolve, reject) =>
        socket.send(message, (error) => (error ? reject(error) : resolve())),
      );
  }

  test('a sender that waits for each callback still writes its burst in one write', async () => {
    const { received } = await client();
    const { socket, writes } = await serverSide;
    const before = writes();
    await sendInTurn(socket, ['joined', 'published', 'left']);
    await until(() => received.length === 3);
    expect(received).toEqual(['joined', 'published', 'left']);
    expect(writes() - before).toBe(1);
  });

  test('past EARLY_ACK_BYTES waiting, a send waits for its write (backpressure holds)', async () => {
    const { received } = await client();
    const { socket, writes } = await serverSide;
    const big = 'x'.repeat(EARLY_ACK_BYTES);
    const before = writes();
    await sendInTurn(socket, [big, 'second', 'third']);
    await until(() => received.length === 3);
    expect(received.map((message) => message.length)).toEqual([EARLY_ACK_BYTES, 6, 5]);
    // 'second' joined the big one's write but was not acknowledged until that write was done,
    // so 'third' went in a write of its own.
    expect(writes() - before).toBe(2);
  });

  test('messages sent in separate turns still leave at once, each in its own write', async () => {
    const { received } = await client();
    const { socket, writes } = await serverSide;
    const before = writes();
    socket.send('a');
    // Sent before the next turn: nothing waits for a timer or for more messages.
    await new Promise((resolve) => setImmediate(resolve));
    await until(() => received.length === 1);
    expect(received).toEqual(['a']);
    socket.send('b');
    await until(() => received.length === 2);
    expect(received).toEqual(['a', 'b']);
    expect(writes() - before).toBe(2);
  });

  test('terminate right after a send still delivers what was sent', async () => {
    const { received, closed } = await client();
    const { socket } = await serverSide;
    socket.send('last words');
    socket.terminate();
    await closed;
    expect(received).toEqual(['last words']);
  });

  test('close right after a send delivers the message, then the close frame', async () => {
    const { ws, received, closed } = await client();
    const { socket } = await serverSide;
    let code = 0;
    ws.on('close', (closeCode) => (code = closeCode));
    socket.send('bye');
    socket.close(4000, 'done');
    await closed;
    expect(received).toEqual(['bye']);
    expect(code).toBe(4000);
  });
});
