/**
 * The signalling socket of a participant: one graphql-ws connection (retried forever, with
 * backoff), opened before the join so that the join itself goes over it (no HTTP request, and the
 * socket is up when the answer comes), then carrying its `negotiation` and `roomEvents`
 * subscriptions, resubscribed after a drop with the participant token (the server's resume). Says
 * when it is up again, so missed events can be caught up on.
 */
import type { Client } from 'graphql-ws';
import { ConferenceError } from './errors';
import type { ServerOffer } from './Negotiator';
import { NegotiationDocument, RoomEventsDocument } from './operations';
import type { RoomEvent } from './RoomState';
import { toError, Transport, type TypedDocument } from './transport';

export interface SignalingHandlers {
  /** Connected; `again`: after a drop (events may have been missed meanwhile). */
  connected(again: boolean): void;
  closed(): void;
  serverOffer(offer: ServerOffer): void;
  roomEvent(event: RoomEvent): void;
  /** The negotiation subscription was refused: the server no longer knows us (timeout, removal). */
  negotiationRefused(error: ConferenceError): void;
  roomEventsFailed(error: ConferenceError): void;
}

export class SignalingSocket {
  readonly #socket: Client;
  readonly #unsubscribes: Array<() => void> = [];
  #handlers: SignalingHandlers | undefined;
  #up = false;
  #everUp = false;
  /** true once connected the first time; false if the first attempt failed (or none could start). */
  readonly #first: Promise<boolean>;
  /** Operations in flight: a drop fails them (graphql-ws would send them again on reconnecting). */
  readonly #inFlight = new Set<() => void>();

  /** Connects at once (the connection's token is the transport's at each attempt). */
  constructor(transport: Transport) {
    let settle: (up: boolean) => void = () => undefined;
    this.#first = new Promise((resolve) => (settle = resolve));
    this.#socket = transport.createSocket({
      connected: () => {
        const again = this.#everUp;
        this.#up = this.#everUp = true;
        settle(true);
        this.#handlers?.connected(again);
      },
      closed: () => {
        this.#up = false;
        settle(false);
        for (const fail of [...this.#inFlight]) fail();
        this.#handlers?.closed();
      },
    });
  }

  /**
   * One query or mutation over the socket, once it is connected; null when its first connection
   * failed (the caller goes over HTTP instead). A drop while it runs fails it with NETWORK_ERROR:
   * it is not sent again, since a join may not be repeated.
   */
  async request<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R | null> {
    if (!this.#up && !(await this.#first)) return null;
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const settle = (then: () => void) => {
        if (settled) return;
        settled = true;
        this.#inFlight.delete(dropped);
        then();
      };
      // Not disposed on its result: the server's `complete` ends it (graphql-ws counts a disposal
      // and that `complete` twice, and closes the socket when its count reaches zero).
      const dropped = () => {
        stop();
        settle(() => reject(new ConferenceError('NETWORK_ERROR', 'The connection to the server was lost.')));
      };
      this.#inFlight.add(dropped);
      const stop = this.#socket.subscribe<R>(
        { query: document.toString(), variables: variables as Record<string, unknown> },
        {
          next: (value) =>
            settle(() => {
              if (value.errors?.length) reject(toError(value.errors as never));
              else if (value.data) resolve(value.data as R);
              else reject(new ConferenceError('INTERNAL_SERVER_ERROR', 'The server sent no data.'));
            }),
          error: (error) =>
            settle(() =>
              reject(
                Array.isArray(error)
                  ? toError(error)
                  : new ConferenceError('NETWORK_ERROR', 'The request failed.', error),
              ),
            ),
          complete: () =>
            settle(() => reject(new ConferenceError('INTERNAL_SERVER_ERROR', 'The server sent no data.'))),
        },
      );
    });
  }

  /** Follows the joined participant's negotiation and its room's events on this socket. */
  follow(participantId: string, roomId: string, handlers: SignalingHandlers): void {
    this.#handlers = handlers;
    this.#unsubscribes.push(
      Transport.subscribe(
        this.#socket,
        NegotiationDocument,
        { participantId },
        { next: ({ negotiation }) => handlers.serverOffer(negotiation), error: handlers.negotiationRefused },
      ),
      Transport.subscribe(
        this.#socket,
        RoomEventsDocument,
        { roomId },
        { next: ({ roomEvents }) => handlers.roomEvent(roomEvents), error: handlers.roomEventsFailed },
      ),
    );
    if (this.#up) handlers.connected(false);
  }

  get up(): boolean {
    return this.#up;
  }

  /** Connected once, and down now. */
  get dropped(): boolean {
    return this.#everUp && !this.#up;
  }

  /** Closes the socket abruptly, as a network drop would; it reconnects by itself. */
  terminate(): void {
    this.#socket.terminate();
  }

  close(): void {
    for (const fail of [...this.#inFlight]) fail();
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    void this.#socket.dispose();
  }
}
