import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

/**
 * Unsent bytes on a socket past which a subscription waits for the socket before it reads its next
 * event. A reader that does not read then backs up into its event stream, which is bounded
 * (RoomEventStream ends it past 10,000 events), as when graphql-ws sent each result.
 */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * Writes one graphql-ws subscription's results to its socket as `next` messages, in place of
 * graphql-ws's loop (sharedSubscribe uses it; results with errors still go through graphql-ws).
 *
 * graphql-ws delivers each result through an async chain per subscriber: its `for await` over the
 * subscription, `emit.next` (the result copied, `onNext` awaited, the message stringified), and a
 * promise per `send` resolved by the socket's write callback. For a room event delivered to 50
 * watchers that was 50 trips through it, the largest part of what our server spent beyond the bare
 * baseline's one `send` per watcher (events benchmark). Here a result costs one `send`, its
 * payload made into JSON once for every subscriber that shares the result.
 *
 * The message is the one graphql-ws writes: `{"id":…,"type":"next","payload":…}`. Its `complete`
 * and `error` messages still come from graphql-ws, after the subscription's iterator ends; they
 * follow every `next` written here, which were written before it ended.
 */
export class SubscriptionOutlet {
  #prefix: string | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly id: string,
  ) {}

  /**
   * Sends `result` (unless the socket is closing: it is dropped, as graphql-ws drops it). Returns a
   * promise to wait for when the socket has more unsent than HIGH_WATER_BYTES, resolved once this
   * message is written out (or the socket failed: its close ends the subscription).
   */
  send(result: ExecutionResult): Promise<void> | undefined {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return undefined;
    this.#prefix ??= `{"id":${JSON.stringify(this.id)},"type":"next","payload":`;
    const text = `${this.#prefix}${payloadJson(result)}}`;
    if (socket.bufferedAmount < HIGH_WATER_BYTES) {
      socket.send(text);
      return undefined;
    }
    return new Promise((resolve) => socket.send(text, () => resolve()));
  }
}

/** A result's JSON, made once however many subscribers share the result (gone with it). */
export function payloadJson(result: ExecutionResult): string {
  let json = payloads.get(result);
  if (json === undefined) payloads.set(result, (json = JSON.stringify(result)));
  return json;
}

const payloads = new WeakMap<ExecutionResult, string>();
