/**
 * The media side of a participant's connection: its RTCPeerConnection, the first offer/answer
 * (join's), then the Negotiator for renegotiations both ways, and ICE restarts on the same
 * connection. It knows nothing of sockets or of the room.
 */
import { Negotiator, type NegotiationSignaling, type ServerOffer } from './Negotiator';
import { RtcNegotiationPeer } from './RtcNegotiationPeer';
import type { ConferenceClientOptions } from './types';

export interface PeerLinkHandlers {
  track(event: RTCTrackEvent): void;
  /** `connectionState` of the peer connection changed. */
  stateChanged(): void;
  /** The ICE connection went `disconnected` or `failed`: the path broke (network change, NAT rebinding). */
  iceBroken(): void;
  /** A renegotiation failed in a way the Negotiator could not handle. */
  error(error: unknown): void;
}

export class PeerLink {
  readonly pc: RTCPeerConnection;
  readonly #peer: RtcNegotiationPeer;
  readonly #handlers: PeerLinkHandlers;
  #negotiator: Negotiator | undefined;
  #restartingIce: Promise<void> | undefined;

  constructor(options: ConferenceClientOptions, handlers: PeerLinkHandlers) {
    this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', ...options.rtcConfiguration });
    this.#peer = new RtcNegotiationPeer(this.pc, options.iceGatheringTimeoutMs);
    this.#handlers = handlers;
  }

  /** Whether join's answer was applied: renegotiations may start. */
  get negotiating(): boolean {
    return this.#negotiator !== undefined;
  }

  /** Join's offer (ICE gathered: the server does not trickle), with the peer connection's listeners on. */
  async offer(): Promise<string> {
    const pc = this.pc;
    pc.addEventListener('track', (event) => this.#handlers.track(event));
    pc.addEventListener('connectionstatechange', () => this.#handlers.stateChanged());
    pc.addEventListener('iceconnectionstatechange', () => {
      if (pc.iceConnectionState === 'disconnected' || pc.iceConnectionState === 'failed')
        this.#handlers.iceBroken();
    });
    await pc.setLocalDescription(await pc.createOffer());
    return this.#peer.gatheredLocalSdp();
  }

  /** Applies join's answer; from now on offers go both ways through `signaling`. */
  async accept(answer: string, signaling: NegotiationSignaling): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    this.#negotiator = new Negotiator(this.#peer, signaling, {
      onError: (error) => this.#handlers.error(error),
    });
  }

  /** A server offer from the `negotiation` subscription. */
  handleServerOffer(offer: ServerOffer): void {
    void this.#negotiator?.handleServerOffer(offer);
  }

  /** A client offer (tracks added or removed, ICE restarted), through `renegotiate`. */
  renegotiate(): Promise<void> {
    return this.#negotiator!.renegotiate();
  }

  /** New ICE credentials offered through `renegotiate`; one restart at a time. */
  restartIce(): Promise<void> {
    if (this.#restartingIce) return this.#restartingIce;
    this.#restartingIce = (async () => {
      this.pc.restartIce();
      await this.renegotiate();
    })().finally(() => (this.#restartingIce = undefined));
    return this.#restartingIce;
  }

  close(): void {
    this.#negotiator?.close();
    this.pc.close();
  }
}
