import { ConferenceError } from '../../client/sdk/errors';
import { Negotiator, type NegotiationPeer, type NegotiationSignaling } from '../../client/sdk/Negotiator';

/** A peer connection that only tracks the signalling state and records what was done to it. */
class FakePeer implements NegotiationPeer {
  signalingState: RTCSignalingState = 'stable';
  readonly log: string[] = [];
  #offers = 0;
  #answers = 0;
  #local = '';

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    this.log.push('createOffer');
    return { type: 'offer', sdp: `client-offer-${++this.#offers}` };
  }
  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    this.log.push('createAnswer');
    return { type: 'answer', sdp: `client-answer-${++this.#answers}` };
  }
  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.log.push(`setLocal:${description.type}`);
    await Promise.resolve();
    if (description.type === 'rollback') {
      if (this.signalingState === 'stable') throw new Error('nothing to roll back');
      this.signalingState = 'stable';
      return;
    }
    if (description.type === 'offer') {
      if (this.signalingState !== 'stable') throw new Error(`offer in ${this.signalingState}`);
      this.signalingState = 'have-local-offer';
    } else {
      if (this.signalingState !== 'have-remote-offer') throw new Error(`answer in ${this.signalingState}`);
      this.signalingState = 'stable';
    }
    this.#local = description.sdp ?? '';
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.log.push(`setRemote:${description.type}:${description.sdp}`);
    await Promise.resolve();
    if (description.type === 'offer') {
      if (this.signalingState !== 'stable') throw new Error(`remote offer in ${this.signalingState}`);
      this.signalingState = 'have-remote-offer';
    } else {
      if (this.signalingState !== 'have-local-offer')
        throw new Error(`remote answer in ${this.signalingState}`);
      this.signalingState = 'stable';
    }
  }
  async gatheredLocalSdp(): Promise<string> {
    return this.#local;
  }
}

/** Scriptable signalling: records calls; renegotiate answers or fails as told. */
class FakeSignaling implements NegotiationSignaling {
  readonly calls: string[] = [];
  revision = 0;
  conflicts = 0;
  answerError: unknown = null;
  onRenegotiate: () => void = () => undefined;

  async answer(revision: number, sdp: string): Promise<void> {
    this.calls.push(`answer:${revision}:${sdp}`);
    if (this.answerError) throw this.answerError;
  }
  async renegotiate(offer: string): Promise<{ answer: string; revision: number }> {
    this.calls.push(`renegotiate:${offer}`);
    this.onRenegotiate();
    if (this.conflicts > 0) {
      this.conflicts--;
      throw new ConferenceError('NEGOTIATION_CONFLICT', 'server offer pending');
    }
    return { answer: 'server-answer', revision: ++this.revision };
  }
}

function setup(options: { conflictWaitMs?: number; maxAttempts?: number } = {}) {
  const peer = new FakePeer();
  const signaling = new FakeSignaling();
  const errors: unknown[] = [];
  const negotiator = new Negotiator(peer, signaling, {
    conflictWaitMs: 5000,
    ...options,
    onError: (e) => errors.push(e),
  });
  return { peer, signaling, negotiator, errors };
}

describe('Negotiator', () => {
  test('answers a server offer with its revision', async () => {
    const { peer, signaling, negotiator, errors } = setup();
    await negotiator.handleServerOffer({ revision: 1, sdp: 'server-offer-1' });
    expect(peer.log).toEqual(['setRemote:offer:server-offer-1', 'createAnswer', 'setLocal:answer']);
    expect(signaling.calls).toEqual(['answer:1:client-answer-1']);
    expect(peer.signalingState).toBe('stable');
    expect(negotiator.revision).toBe(1);
    expect(errors).toEqual([]);
  });

  test('answers offers one at a time, in order, even when they arrive together', async () => {
    const { signaling, negotiator } = setup();
    await Promise.all([
      negotiator.handleServerOffer({ revision: 1, sdp: 'o1' }),
      negotiator.handleServerOffer({ revision: 2, sdp: 'o2' }),
      negotiator.handleServerOffer({ revision: 3, sdp: 'o3' }),
    ]);
    expect(signaling.calls).toEqual([
      'answer:1:client-answer-1',
      'answer:2:client-answer-2',
      'answer:3:client-answer-3',
    ]);
  });

  test('ignores an outdated offer and re-sends the answer to a re-delivered one (resubscription)', async () => {
    const { peer, signaling, negotiator } = setup();
    await negotiator.handleServerOffer({ revision: 2, sdp: 'o2' });
    await negotiator.handleServerOffer({ revision: 1, sdp: 'o1' });
    await negotiator.handleServerOffer({ revision: 2, sdp: 'o2' });
    expect(peer.log.filter((l) => l.startsWith('setRemote'))).toEqual(['setRemote:offer:o2']);
    expect(signaling.calls).toEqual(['answer:2:client-answer-1', 'answer:2:client-answer-1']);
  });

  test('STALE_OFFER and NO_PENDING_OFFER on answer are expected; other errors are reported', async () => {
    const { signaling, negotiator, errors } = setup();
    signaling.answerError = new ConferenceError('STALE_OFFER', 'old');
    await negotiator.handleServerOffer({ revision: 1, sdp: 'o1' });
    signaling.answerError = new ConferenceError('NO_PENDING_OFFER', 'none');
    await negotiator.handleServerOffer({ revision: 2, sdp: 'o2' });
    expect(errors).toEqual([]);
    signaling.answerError = new ConferenceError('INVALID_SDP', 'bad');
    await negotiator.handleServerOffer({ revision: 3, sdp: 'o3' });
    expect(errors).toHaveLength(1);
    expect((errors[0] as ConferenceError).code).toBe('INVALID_SDP');
  });

  test('a client offer is applied with the server answer and takes its revision', async () => {
    const { peer, signaling, negotiator } = setup();
    signaling.revision = 4;
    await negotiator.renegotiate();
    expect(peer.log).toEqual(['createOffer', 'setLocal:offer', 'setRemote:answer:server-answer']);
    expect(signaling.calls).toEqual(['renegotiate:client-offer-1']);
    expect(negotiator.revision).toBe(5);
    expect(peer.signalingState).toBe('stable');
  });

  test('glare: on NEGOTIATION_CONFLICT it rolls back, answers the server offer, then offers again', async () => {
    const { peer, signaling, negotiator, errors } = setup();
    signaling.conflicts = 1;
    // The pending server offer arrives on the subscription while the client offer is in flight.
    signaling.onRenegotiate = () => {
      signaling.onRenegotiate = () => undefined;
      void negotiator.handleServerOffer({ revision: 1, sdp: 'server-offer-1' });
    };
    const started = Date.now();
    await negotiator.renegotiate();
    expect(Date.now() - started).toBeLessThan(1000); // retried when answered, not after conflictWaitMs
    expect(peer.log).toEqual([
      'createOffer',
      'setLocal:offer',
      'setLocal:rollback',
      'setRemote:offer:server-offer-1',
      'createAnswer',
      'setLocal:answer',
      'createOffer',
      'setLocal:offer',
      'setRemote:answer:server-answer',
    ]);
    expect(signaling.calls).toEqual([
      'renegotiate:client-offer-1',
      'answer:1:client-answer-1',
      'renegotiate:client-offer-2',
    ]);
    expect(negotiator.revision).toBe(1);
    expect(errors).toEqual([]);
  });

  test('glare: retries after conflictWaitMs when the server offer does not come', async () => {
    const { signaling, negotiator } = setup({ conflictWaitMs: 20 });
    signaling.conflicts = 2;
    await negotiator.renegotiate();
    expect(signaling.calls).toEqual([
      'renegotiate:client-offer-1',
      'renegotiate:client-offer-2',
      'renegotiate:client-offer-3',
    ]);
  });

  test('gives up after maxAttempts conflicts, with the local offer rolled back', async () => {
    const { peer, signaling, negotiator } = setup({ conflictWaitMs: 1, maxAttempts: 3 });
    signaling.conflicts = 10;
    await expect(negotiator.renegotiate()).rejects.toMatchObject({ code: 'NEGOTIATION_CONFLICT' });
    expect(signaling.calls).toHaveLength(3);
    expect(peer.signalingState).toBe('stable');
  });

  test('other renegotiate errors reject, after the local offer is rolled back', async () => {
    const { peer, signaling, negotiator } = setup();
    signaling.renegotiate = async () => {
      throw new ConferenceError('INVALID_SDP', 'bad offer');
    };
    await expect(negotiator.renegotiate()).rejects.toMatchObject({ code: 'INVALID_SDP' });
    expect(peer.log).toEqual(['createOffer', 'setLocal:offer', 'setLocal:rollback']);
    expect(peer.signalingState).toBe('stable');
  });

  test('a server offer finding a local offer (have-local-offer) rolls it back first', async () => {
    const { peer, signaling, negotiator } = setup();
    peer.signalingState = 'have-local-offer';
    await negotiator.handleServerOffer({ revision: 1, sdp: 'o1' });
    expect(peer.log.slice(0, 2)).toEqual(['setLocal:rollback', 'setRemote:offer:o1']);
    expect(signaling.calls).toEqual(['answer:1:client-answer-1']);
  });

  test('after close() server offers are ignored and renegotiate rejects', async () => {
    const { peer, negotiator } = setup();
    negotiator.close();
    await negotiator.handleServerOffer({ revision: 1, sdp: 'o1' });
    expect(peer.log).toEqual([]);
    await expect(negotiator.renegotiate()).rejects.toBeInstanceOf(ConferenceError);
  });
});
