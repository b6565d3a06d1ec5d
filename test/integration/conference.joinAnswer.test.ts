import type { Client } from 'graphql-ws';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestParticipant } from '../helpers/participant';
import { TestPeer } from '../helpers/weriftPeer';

const JOIN = `mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id } } }`;
const NEGOTIATION = `subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }`;

/**
 * A joiner whose offer has receive-only sections: the streams already in the room come in the join
 * answer on those sections, so the joiner receives them (from a keyframe) without a server offer.
 * Offers that do arrive on `negotiation` are recorded, with the time they came, not answered.
 */
async function joinWithReceiveSections(server: TestServer, roomId: string, name: string, sections: number) {
  const peer = new TestPeer({ receiveSections: sections });
  const response = await server.gql<{ join: { answer: string; token: string; participant: { id: string } } }>(
    JOIN,
    { input: { roomId, name, offer: await peer.createOffer() } },
  );
  if (!response.data) throw new Error(`join failed: ${JSON.stringify(response.errors)}`);
  const { answer, token, participant } = response.data.join;
  const offers: Array<{ revision: number; sdp: string; at: number }> = [];
  const ws: Client = server.ws({ authorization: `Bearer ${token}` });
  const stop = ws.subscribe<{ negotiation: { revision: number; sdp: string } }>(
    { query: NEGOTIATION, variables: { id: participant.id } },
    {
      next: (value) => {
        if (value.data) offers.push({ ...value.data.negotiation, at: performance.now() });
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  await peer.acceptAnswer(answer);
  return {
    peer,
    answer,
    offers,
    id: participant.id,
    auth: { authorization: `Bearer ${token}` },
    close: async () => {
      stop();
      await ws.dispose();
      await peer.close();
    },
  };
}

describe('the join answer carries the room streams', () => {
  let server: TestServer;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await server.dispose();
  });

  test('a joiner offering a receive-only pair per stream gets every earlier participant, from a keyframe, with no server offer', async () => {
    const ada = await TestParticipant.join(server, 'answer-carries', 'ada');
    cleanup.push(() => ada.close());
    const bob = await TestParticipant.join(server, 'answer-carries', 'bob');
    cleanup.push(() => bob.close());
    await bob.waitForMediaFrom([ada]);
    await ada.waitForMediaFrom([bob]);

    const cat = await joinWithReceiveSections(server, 'answer-carries', 'cat', 2);
    cleanup.push(() => cat.close());
    expect(cat.answer).toContain(`a=msid:${ada.peer.streamId} `);
    expect(cat.answer).toContain(`a=msid:${bob.peer.streamId} `);

    await cat.peer.waitFor(
      () =>
        [ada, bob].every((other) => cat.peer.videoKeyframesReceived(other.peer.streamId) > 0) &&
        [ada, bob].every((other) => cat.peer.received(other.peer.streamId).audio > 5),
      10_000,
      'keyframes and audio of ada and bob',
    );
    const keyframesAt = performance.now();
    // Long enough for a server offer made at join to have reached the (by now open) subscription.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(cat.offers.filter((offer) => offer.at <= keyframesAt)).toEqual([]);
    expect(cat.offers).toEqual([]);

    // The others still get cat's streams by a server offer, as before.
    const catAsPublisher = { peer: cat.peer } as unknown as TestParticipant;
    await ada.waitForMediaFrom([catAsPublisher]);
    await bob.waitForMediaFrom([catAsPublisher]);
  });

  test('streams that find no receive-only section come in the first server offer', async () => {
    const ada = await TestParticipant.join(server, 'answer-partly', 'ada');
    cleanup.push(() => ada.close());
    const bob = await TestParticipant.join(server, 'answer-partly', 'bob');
    cleanup.push(() => bob.close());
    await bob.waitForMediaFrom([ada]);

    const cat = await joinWithReceiveSections(server, 'answer-partly', 'cat', 1);
    cleanup.push(() => cat.close());
    const inAnswer = [ada, bob].filter((other) => cat.answer.includes(`a=msid:${other.peer.streamId} `));
    expect(inAnswer).toHaveLength(1);
    const later = [ada, bob].find((other) => !inAnswer.includes(other))!;

    await cat.peer.waitFor(
      () => cat.peer.videoKeyframesReceived(inAnswer[0]!.peer.streamId) > 0,
      10_000,
      'the keyframe of the stream in the answer',
    );
    await cat.peer.waitFor(() => cat.offers.length > 0, 5000, 'the server offer');
    const [offer] = cat.offers;
    expect(offer!.revision).toBe(1);
    expect(offer!.sdp).toContain(`a=msid:${later.peer.streamId} `);
    const answer = await cat.peer.acceptOffer(offer!.sdp);
    const accepted = await server.gql(
      `mutation ($input: AnswerInput!) { answer(input: $input) }`,
      { input: { participantId: cat.id, revision: 1, sdp: answer } },
      cat.auth,
    );
    expect(accepted.errors).toBeUndefined();
    await cat.peer.waitFor(
      () => cat.peer.videoKeyframesReceived(later.peer.streamId) > 0,
      10_000,
      'the keyframe of the stream in the offer',
    );
  });
});
