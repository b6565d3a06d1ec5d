import { ConferenceError } from './errors';
import type { NegotiationPeer } from './Negotiator';

/** RTCPeerConnection behind the Negotiator's interface. */
export class RtcNegotiationPeer implements NegotiationPeer {
  constructor(
    readonly pc: RTCPeerConnection,
    /** 0: the SDP as it is now (see ConferenceClientOptions.iceGatheringTimeoutMs). */
    private readonly gatheringTimeoutMs = 0,
  ) {}

  get signalingState(): RTCSignalingState {
    return this.pc.signalingState;
  }
  createOffer(): Promise<RTCSessionDescriptionInit> {
    return this.pc.createOffer();
  }
  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.pc.createAnswer();
  }
  setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.pc.setLocalDescription(description);
  }
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.pc.setRemoteDescription(description);
  }
  async gatheredLocalSdp(): Promise<string> {
    const pc = this.pc;
    if (pc.iceGatheringState !== 'complete' && this.gatheringTimeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.gatheringTimeoutMs);
        function done() {
          clearTimeout(timer);
          pc.removeEventListener('icegatheringstatechange', check);
          resolve();
        }
        function check() {
          if (pc.iceGatheringState === 'complete') done();
        }
        pc.addEventListener('icegatheringstatechange', check);
      });
    }
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new ConferenceError('INVALID_SDP', 'No local description.');
    return sdp;
  }
}
