import { Participant } from '../../src/conference/Participant';
import type { MediaPeer, PublishedStream, SessionDescription } from '../../src/conference/ports';

/** The media layer's parsed SDP, as the service hands it to the participant (read on demand). */
const sdp = (text: string) => (): SessionDescription => ({ sdp: text, sendsMedia: false });

/** A stand-in for the media side: it only tracks the offer/answer state the way medooze does. */
class FakePeer implements MediaPeer {
  id = 'fake';
  answer = 'v=0 answer';
  signalingState = 'stable';
  offers = 0;
  publishedStreams(): PublishedStream[] {
    return [];
  }
  createOffer(): string {
    this.signalingState = 'local-offer';
    return `v=0 offer ${++this.offers}`;
  }
  processAnswer(): void {
    this.signalingState = 'stable';
  }
  processOffer(): string {
    return 'v=0 answer to client';
  }
  subscribe(): void {}
  unsubscribe(): void {}
  setTrackMuted(): void {}
  subscribedStreamIds(): string[] {
    return [];
  }
  setPreferredLayer(): void {}
  stats() {
    return { inbound: [], outbound: [] };
  }
  async close(): Promise<void> {}
}

function participantWithPeer() {
  const participant = new Participant('room', 'ada');
  const peer = new FakePeer();
  participant.attach(peer);
  const offers: number[] = [];
  participant.on('offer', (offer) => offers.push(offer.revision));
  return { participant, peer, offers };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('Participant negotiation', () => {
  test('server offers get increasing revisions; a second request waits for the answer to the first', () => {
    const { participant, offers } = participantWithPeer();
    participant.requestOffer();
    participant.requestOffer();
    expect(offers).toEqual([1]);
    participant.acceptAnswer(1, sdp('v=0'));
    expect(offers).toEqual([1, 2]);
    expect(participant.pendingOffer?.revision).toBe(2);
  });

  test('an answer must name the pending revision', () => {
    const { participant } = participantWithPeer();
    expect(codeOf(() => participant.acceptAnswer(1, sdp('v=0')))).toBe('NO_PENDING_OFFER');
    participant.requestOffer();
    participant.acceptAnswer(1, sdp('v=0'));
    participant.requestOffer();
    expect(codeOf(() => participant.acceptAnswer(1, sdp('v=0')))).toBe('STALE_OFFER');
    expect(codeOf(() => participant.acceptAnswer(3, sdp('v=0')))).toBe('STALE_OFFER');
    participant.acceptAnswer(2, sdp('v=0'));
    expect(codeOf(() => participant.acceptAnswer(2, sdp('v=0')))).toBe('NO_PENDING_OFFER');
    expect(codeOf(() => participant.acceptAnswer(1, sdp('v=0')))).toBe('STALE_OFFER');
  });

  test('glare: the server offer wins, the client offer succeeds once it is answered, and revisions stay ordered', () => {
    const { participant, offers } = participantWithPeer();
    participant.requestOffer();
    expect(codeOf(() => participant.acceptOffer(sdp('v=0 client')))).toBe('NEGOTIATION_CONFLICT');
    participant.acceptAnswer(1, sdp('v=0'));
    expect(participant.acceptOffer(sdp('v=0 client'))).toEqual({
      answer: 'v=0 answer to client',
      revision: 2,
    });
    participant.requestOffer();
    expect(offers).toEqual([1, 3]);
  });

  test('a token opens only its own participant', () => {
    const { participant } = participantWithPeer();
    const other = new Participant('room', 'bob');
    expect(participant.ownsToken(participant.token)).toBe(true);
    expect(participant.ownsToken(other.token)).toBe(false);
    expect(participant.ownsToken('')).toBe(false);
  });

  test('after leaving, nothing is offered and answers fail with PARTICIPANT_NOT_FOUND', () => {
    const { participant, offers } = participantWithPeer();
    participant.requestOffer();
    expect(participant.markLeft('LEFT')).toBe(true);
    expect(participant.markLeft('TIMEOUT')).toBe(false);
    expect(participant.leftReason).toBe('LEFT');
    participant.requestOffer();
    expect(offers).toEqual([1]);
    expect(codeOf(() => participant.acceptAnswer(1, sdp('v=0')))).toBe('PARTICIPANT_NOT_FOUND');
  });
});
