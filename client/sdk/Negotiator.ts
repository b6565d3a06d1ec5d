import { ConferenceError, errorCode } from './errors';

/** The part of RTCPeerConnection the negotiation needs (a fake in unit tests). */
export interface NegotiationPeer {
  readonly signalingState: RTCSignalingState;
  createOffer(): Promise<RTCSessionDescriptionInit>;
  createAnswer(): Promise<RTCSessionDescriptionInit>;
  setLocalDescription(description: RTCSessionDescriptionInit): Promise<void>;
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void>;
  /**
   * The local description's SDP to send. The server does not trickle and, being ICE-lite, needs no
   * client candidates: it need not wait for gathering (RtcNegotiationPeer waits only if told to).
   */
  gatheredLocalSdp(): Promise<string>;
}

/** The signalling calls the negotiation makes (the GraphQL mutations in the real client). */
export interface NegotiationSignaling {
  /** `answer(input: { revision, sdp })`. */
  answer(revision: number, sdp: string): Promise<void>;
  /** `renegotiate(input: { offer })`; rejects with ConferenceError NEGOTIATION_CONFLICT under glare. */
  renegotiate(offer: string): Promise<{ answer: string; revision: number }>;
}

export interface ServerOffer {
  revision: number;
  sdp: string;
}

export interface NegotiatorOptions {
  /** How long a client offer waits for the pending server offer after NEGOTIATION_CONFLICT before trying again. */
  conflictWaitMs?: number;
  /** Client offers tried before giving up. */
  maxAttempts?: number;
  onError?: (error: unknown) => void;
}

/**
 * Offer/answer for one participant, one step at a time.
 *
 * - Server offers (from the `negotiation` subscription) are answered in order. An offer with a
 *   revision older than the newest one handled is ignored; the same revision delivered again (after
 *   a resubscription) gets the same answer again, since the first one may not have arrived.
 * - Client offers (`renegotiate()`, to add or remove local tracks) follow the server's glare rule:
 *   the server's offer wins. On NEGOTIATION_CONFLICT the local offer is rolled back
 *   (`setLocalDescription({ type: 'rollback' })`), the pending server offer is answered when it
 *   arrives, and the client offers again.
 */
export class Negotiator {
  #chain: Promise<unknown> = Promise.resolve();
  /** Newest revision handled (server offers answered and client offers accepted). */
  #revision = 0;
  #lastAnswer: { revision: number; sdp: string } | null = null;
  #answeredWaiters: Array<() => void> = [];
  #closed = false;
  readonly #conflictWaitMs: number;
  readonly #maxAttempts: number;
  readonly #onError: (error: unknown) => void;

  constructor(
    private readonly peer: NegotiationPeer,
    private readonly signaling: NegotiationSignaling,
    options: NegotiatorOptions = {},
  ) {
    this.#conflictWaitMs = options.conflictWaitMs ?? 3000;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#onError = options.onError ?? (() => undefined);
  }

  get revision(): number {
    return this.#revision;
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#answeredWaiters.splice(0)) wake();
  }

  /** Runs steps one after the other, whatever the previous one did. */
  #enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(step, step);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Answers a server offer (queued behind any negotiation in progress). Never rejects; errors go to onError. */
  handleServerOffer(offer: ServerOffer): Promise<void> {
    return this.#enqueue(() => this.#answerServerOffer(offer)).catch((error) => this.#onError(error));
  }

  async #answerServerOffer(offer: ServerOffer): Promise<void> {
    if (this.#closed) return;
    if (offer.revision < this.#revision) return; // outdated: a newer negotiation has happened
    if (offer.revision === this.#revision) {
      // Delivered again (resubscription): the answer may have been lost, send it again.
      if (this.#lastAnswer?.revision === offer.revision)
        await this.#sendAnswer(offer.revision, this.#lastAnswer.sdp);
      return;
    }
    if (this.peer.signalingState === 'have-local-offer') {
      await this.peer.setLocalDescription({ type: 'rollback' });
    }
    await this.peer.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await this.peer.setLocalDescription(await this.peer.createAnswer());
    const sdp = await this.peer.gatheredLocalSdp();
    this.#revision = offer.revision;
    this.#lastAnswer = { revision: offer.revision, sdp };
    await this.#sendAnswer(offer.revision, sdp);
    for (const wake of this.#answeredWaiters.splice(0)) wake();
  }

  async #sendAnswer(revision: number, sdp: string): Promise<void> {
    try {
      await this.signaling.answer(revision, sdp);
    } catch (error) {
      // Already answered, or superseded: the server's next offer (if any) comes on the subscription.
      const code = errorCode(error);
      if (code === 'STALE_OFFER' || code === 'NO_PENDING_OFFER') return;
      throw error;
    }
  }

  /**
   * Makes a client offer for the current local tracks and applies the server's answer, retrying
   * after glare. Resolves once the server accepted an offer made after this call.
   */
  async renegotiate(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.#enqueue(() => this.#clientOffer());
      if (result.status === 'done') return;
      if (attempt >= this.#maxAttempts) {
        throw new ConferenceError('NEGOTIATION_CONFLICT', `Gave up after ${attempt} conflicting offers.`);
      }
      // Wait for the pending server offer to be answered (it arrives on the subscription), then retry.
      await Promise.race([
        result.answered,
        new Promise((resolve) => setTimeout(resolve, this.#conflictWaitMs)),
      ]);
      if (this.#closed) throw new ConferenceError('PARTICIPANT_NOT_FOUND', 'The client was closed.');
    }
  }

  async #clientOffer(): Promise<{ status: 'done' } | { status: 'conflict'; answered: Promise<void> }> {
    if (this.#closed) throw new ConferenceError('PARTICIPANT_NOT_FOUND', 'The client was closed.');
    const answered = new Promise<void>((resolve) => this.#answeredWaiters.push(resolve));
    await this.peer.setLocalDescription(await this.peer.createOffer());
    const offer = await this.peer.gatheredLocalSdp();
    let result: { answer: string; revision: number };
    try {
      result = await this.signaling.renegotiate(offer);
    } catch (error) {
      // Polite peer: drop our offer so the server's can be applied.
      if (this.peer.signalingState === 'have-local-offer') {
        await this.peer.setLocalDescription({ type: 'rollback' });
      }
      if (errorCode(error) === 'NEGOTIATION_CONFLICT') return { status: 'conflict', answered };
      throw error;
    }
    await this.peer.setRemoteDescription({ type: 'answer', sdp: result.answer });
    this.#revision = Math.max(this.#revision, result.revision);
    return { status: 'done' };
  }
}
