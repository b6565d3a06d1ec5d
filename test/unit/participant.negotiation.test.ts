import { Participant } from '../../src/conference/Participant';
import { ParticipantTokens } from '../../src/access/ParticipantTokens';
import type { MediaPeer, PublishedStream, SessionDescription } from '../../src/conference/ports';

const sdp = (text: string) => (): SessionDescription => ({ sdp: text, sendsMedia: false, sentTrackCount: 0 });

/** A stand-in for the media side: it only tracks the offer/answer state the way medooze does. */
class FakePeer implements MediaPeer {
  id = 'peer';
  createAnswer(): string {
    return 'v=0 answer';
  }
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
  isTrackMuted(): boolean {
    return false;
  }
  subscribedStreamIds(): string[] {
    return [];
  }
  setPreferredLayer(): void {}
  stats() {
    return { inbound: [], outbound: [] };
  }
  activity(): number {
    return 0;
  }
  async close(): Promise<void> {}
}

function participantWithPeer() {
  const participant = new Participant('room', 'ada');
  const peer = new FakePeer();
  participant.connect(peer);
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

  test('a token opens only its own participant, and dies with it', () => {
    const tokens = new ParticipantTokens();
    const ada = tokens.mint('ada');
    const bob = tokens.mint('bob');
    expect(tokens.owns('ada', ada)).toBe(true);
    expect(tokens.owns('ada', bob)).toBe(false);
    expect(tokens.owns('ada', '')).toBe(false);
    expect(tokens.participantOf(bob)).toBe('bob');
    tokens.revoke('bob');
    expect(tokens.participantOf(bob)).toBeUndefined();
    expect(tokens.owns('bob', bob)).toBe(false);
    expect(tokens.size).toBe(1);
  });

  test('after leaving, nothing is offered and answers fail with PARTICIPANT_NOT_FOUND', async () => {
    const { participant, offers } = participantWithPeer();
    participant.requestOffer();
    const first = participant.close('LEFT');
    expect(participant.close('TIMEOUT')).toBe(first);
    await first;
    expect(participant.leftReason).toBe('LEFT');
    participant.requestOffer();
    expect(offers).toEqual([1]);
    expect(codeOf(() => participant.acceptAnswer(1, sdp('v=0')))).toBe('PARTICIPANT_NOT_FOUND');
  });
});
