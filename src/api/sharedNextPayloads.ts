import type { ExecutionResult } from 'graphql';
import type { WebSocket, WebSocketServer } from 'ws';
import type { formatError } from './errors';
import { withFormattedErrors } from './responses';

/**
 * A subscription result shared by many subscribers is turned into JSON once, not once per
 * subscriber.
 *
 * Watchers of a room that sent the same `roomEvents` document share one execution per event
 * (sharedSubscribe.ts), so 50 watchers get the same result object; graphql-ws still stringified
 * its `next` message 50 times, the payload each time (~110 ms per 40,000 deliveries under the
 * events benchmark, on the thread that answers joins). Its message is `{id, type, payload}`, and
 * `onNext` may replace the payload: it gets a stand-in whose `toJSON` hands graphql-ws a short
 * marker string and leaves the payload's JSON, made once per result, for the socket's `send`,
 * which puts it where the marker is. The marker is a JSON string ending the message, and a
 * payload of graphql-ws's own is always an object, so a message that ends with the marker is one
 * of ours.
 *
 * Used as graphql-ws's `onNext`. Results with errors are formatted per subscriber, as before
 * (`withFormattedErrors`); they are not shared.
 */
export function nextPayload(result: ExecutionResult, format: typeof formatError): ExecutionResult {
  const formatted = withFormattedErrors(result, format);
  if (formatted) return formatted;
  let payload = payloads.get(result);
  if (!payload) payloads.set(result, (payload = new SharedPayload(JSON.stringify(result))));
  return payload as unknown as ExecutionResult;
}

/** Lets every socket of `server` put shared payloads in place of their markers as it sends. */
export function expandSharedPayloads(server: WebSocketServer): void {
  server.on('connection', (socket: WebSocket) => {
    const send = socket.send;
    socket.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
      return (send as (...args: unknown[]) => void).apply(this, [expanded(data), ...rest]);
    } as WebSocket['send'];
  });
}

/** `data` with the payload its marker stands for, if it ends with one. */
export function expanded(data: unknown): unknown {
  if (pending === null || typeof data !== 'string' || !data.endsWith(MARKED_END)) return data;
  const json = pending;
  pending = null;
  return `${data.slice(0, -MARKED_END.length)}${json}}`;
}

const MARKER = '\u0000shared-payload';
/** How a message whose payload is the marker ends, as JSON.stringify writes it. */
const MARKED_END = `${JSON.stringify(MARKER)}}`;
/**
 * The JSON of the payload whose marker was written last. graphql-ws stringifies a message and
 * hands it to the socket's send in the same synchronous step, so the marker and its JSON meet
 * there before any other message is stringified.
 */
let pending: string | null = null;

class SharedPayload {
  constructor(readonly json: string) {}
  toJSON(): string {
    pending = this.json;
    return MARKER;
  }
}

/** Per result object: its payload (gone with the result). */
const payloads = new WeakMap<ExecutionResult, SharedPayload>();
