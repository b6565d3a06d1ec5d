import { TestParticipant } from '../helpers/participant';
import { collect, startTestServer, type TestServer } from '../helpers/server';

const RENEGOTIATE = `mutation ($input: RenegotiateInput!) { renegotiate(input: $input) { answer revision } }`;
type Event = { roomEvents: { type: string; streamId: string | null } };

/** Client-made offers: a participant adds a second video stream, then stops it. */
describe('renegotiate', () => {
  let server: TestServer;
  let alice: TestParticipant;
  let bob: TestParticipant;
  beforeAll(async () => {
    server = await startTestServer();
    alice = await TestParticipant.join(server, 'second-camera', 'alice');
    bob = await TestParticipant.join(server, 'second-camera', 'bob');
    await bob.waitForMediaFrom([alice]);
    await alice.waitForMediaFrom([bob]);
  });
  afterAll(async () => {
    await alice.close();
    await bob.close();
    await server.dispose();
  });

  /** Offers from the client, yielding to a pending server offer as docs/signaling.md says. */
  async function clientOffer(participant: TestParticipant): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      await participant.settled();
      const offer = await participant.peer.createOffer();
      const response = await server.gql<{ renegotiate: { answer: string } }>(
        RENEGOTIATE,
        { input: { participantId: participant.id, offer } },
        participant.auth,
      );
      if (response.data) return participant.peer.acceptAnswer(response.data.renegotiate.answer);
      if (response.errors?.[0]?.extensions?.code !== 'NEGOTIATION_CONFLICT')
        throw new Error(JSON.stringify(response.errors));
      await participant.peer.rollback();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('renegotiation kept conflicting');
  }

  test('a second video stream added by a client offer reaches the others under its own id, and stops when removed', async () => {
    const events = collect<Event>(
      server.ws(),
      `subscription { roomEvents(roomId: "second-camera") { type streamId } }`,
      {},
      2,
      15_000,
    );
    await events.ready;
    const extra = alice.peer.addExtraVideo();
    await clientOffer(alice);
    await bob.peer.waitFor(
      () => bob.peer.received(extra).video > 5,
      10_000,
      'bob receiving alice’s second camera',
    );
    // Her first stream keeps flowing.
    const before = bob.peer.received(alice.peer.streamId).video;
    await bob.peer.waitFor(
      () => bob.peer.received(alice.peer.streamId).video > before + 5,
      5000,
      'first camera still flowing',
    );

    const room = await server.gql<{
      room: { participants: Array<{ name: string; streams: Array<{ id: string }> }> };
    }>(`query { room(id: "second-camera") { participants { name streams { id } } } }`);
    const aliceStreams = room
      .data!.room.participants.find((p) => p.name === 'alice')!
      .streams.map((s) => s.id);
    expect(aliceStreams.sort()).toEqual([alice.peer.streamId, extra].sort());

    alice.peer.stopExtraVideo(extra);
    await clientOffer(alice);
    await bob.peer.waitFor(
      () => !bob.peer.remoteStreamIds().includes(extra),
      10_000,
      'bob dropping the second camera',
    );
    expect((await events.values).map((event) => [event.roomEvents.type, event.roomEvents.streamId])).toEqual([
      ['STREAM_PUBLISHED', extra],
      ['STREAM_UNPUBLISHED', extra],
    ]);
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  });
});
