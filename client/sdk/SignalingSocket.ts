/**
 * The signalling socket of a joined participant: one graphql-ws connection (retried forever, with
 * backoff) carrying its `negotiation` and `roomEvents` subscriptions, resubscribed after a drop
 * with the participant token (the server's resume). Says when it is up again, so missed events
 * can be caught up on.
 */
import type { Client } from 'graphql-ws';
import type { ConferenceError } from './errors';
import type { ServerOffer } from './Negotiator';
import { NegotiationDocument, RoomEventsDocument } from './operations';
import type { RoomEvent } from './RoomState';
import { Transport } from './transport';

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
  readonly #unsubscribes: Array<() => void>;
  #up = false;
  #everUp = false;

  constructor(transport: Transport, participantId: string, roomId: string, handlers: SignalingHandlers) {
    this.#socket = transport.createSocket({
      connected: () => {
        const again = this.#everUp;
        this.#up = this.#everUp = true;
        handlers.connected(again);
      },
      closed: () => {
        this.#up = false;
        handlers.closed();
      },
    });
    this.#unsubscribes = [
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
    ];
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
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    void this.#socket.dispose();
  }
}
