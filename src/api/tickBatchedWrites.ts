import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

/** Below this many bytes waiting in a socket, a send is acknowledged at once (see below). */
export const EARLY_ACK_BYTES = 64 * 1024;

/**
 * Every message a WebSocket sends within one tick leaves in one `writev`.
 *
 * ws writes each frame on its own (a cork around its header and payload, then a `writev`), and
 * one room event is a frame per watcher: a join is PARTICIPANT_JOINED and STREAM_PUBLISHED in
 * the same tick, so each watcher's socket made two system calls for what one carries. The raw
 * TCP socket is corked at a tick's first send and uncorked on `process.nextTick`, which runs
 * once the microtasks that deliver the event (each subscription's loop in sharedSubscribe, which
 * writes through its SubscriptionOutlet) have drained: nothing waits for a later turn of the
 * event loop. ws's own cork per frame nests inside ours (Node counts corks).
 *
 * graphql-ws itself (its `complete`, `error` and errored `next` messages, and any subscription
 * without an outlet) sends a message only once the previous one's write callback ran, which is
 * a turn of the event loop later: a join's two events were two writes per watcher (counted
 * under the events benchmark: 41,135 `writev` for 40,000 deliveries). While the socket holds
 * less than EARLY_ACK_BYTES not yet written, a send's callback is called at once instead, so
 * the next message joins the same write; past that, the callback waits for the write, and a
 * slow reader still holds its subscription back (its events wait in the room's event stream,
 * which bounds them; the outlet applies the same rule to what it writes). A failed write still
 * closes the socket (ws emits `close`), which ends its subscriptions.
 *
 * `terminate` destroys the TCP socket at once, which would drop what is still corked, so it
 * flushes first, as the unbatched writes would already have been handed to the kernel.
 * `close` needs nothing: its frame is corked with the rest, and `end` uncorks.
 */
export function batchWritesPerTick(server: WebSocketServer): void {
  server.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    batchSocketWrites(socket, request.socket);
  });
}

/** Batches one connection's writes (`raw` is the TCP socket ws writes to: the upgrade's). */
export function batchSocketWrites(socket: WebSocket, raw: Socket): void {
  let corked = false;
  const flush = (): void => {
    if (!corked) return;
    corked = false;
    raw.uncork();
  };
  const send = socket.send;
  socket.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
    if (!corked && raw.writable) {
      corked = true;
      raw.cork();
      process.nextTick(flush);
    }
    const callback = rest[rest.length - 1];
    if (
      typeof callback === 'function' &&
      this.readyState === this.OPEN &&
      raw.writableLength < EARLY_ACK_BYTES
    ) {
      (send as (...args: unknown[]) => void).apply(this, [data, ...rest.slice(0, -1)]);
      (callback as (error?: Error) => void)();
      return;
    }
    return (send as (...args: unknown[]) => void).apply(this, [data, ...rest]);
  } as WebSocket['send'];
  const terminate = socket.terminate;
  socket.terminate = function (this: WebSocket) {
    flush();
    return terminate.call(this);
  };
}
