import { collect, startTestServer, type TestServer } from '../helpers/server';
import { TestParticipant } from '../helpers/participant';
import { TestPeer } from '../helpers/weriftPeer';

const JOIN = `mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id } } }`;
const ANSWER = `mutation ($input: AnswerInput!) { answer(input: $input) }`;
const RENEGOTIATE = `mutation ($input: RenegotiateInput!) { renegotiate(input: $input) { answer revision } }`;
const NEGOTIATION = `subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }`;

type Offer = { negotiation: { revision: number; sdp: string } };
const code = (response: { errors?: Array<{ extensions?: { code?: string } }> }) =>
  response.errors?.[0]?.extensions?.code;

/** A participant driven by hand (no automatic answers), to provoke each negotiation case. */
async function joinByHand(server: TestServer, roomId: string, name: string) {
  const peer = new TestPeer();
  const response = await server.gql<{ join: { answer: string; token: string; participant: { id: string } } }>(
    JOIN,
    {
      input: { roomId, name, offer: await peer.createOffer() },
    },
  );
  const { answer, token, participant } = response.data!.join;
  await peer.acceptAnswer(answer);
  return { peer, id: participant.id, token, auth: { authorization: `Bearer ${token}` } };
}

describe('negotiation edge cases', () => {
  let server: TestServer;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await server.dispose();
  });

  test('an offer made before the client subscribed is delivered when it subscribes; stale and repeated answers are refused', async () => {
    const first = await TestParticipant.join(server, 'late-subscriber', 'first');
    cleanup.push(() => first.close());
    const late = await joinByHand(server, 'late-subscriber', 'late');
    cleanup.push(() => late.peer.close());

    // The server offered `late` the first participant's streams before anyone subscribed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const subscription = collect<Offer>(server.ws(late.auth), NEGOTIATION, { id: late.id }, 1);
    const [pending] = await subscription.values;
    expect(pending!.negotiation.revision).toBe(1);

    const answerSdp = await late.peer.acceptOffer(pending!.negotiation.sdp);
    const stale = await server.gql(
      ANSWER,
      { input: { participantId: late.id, revision: 0, sdp: answerSdp } },
      late.auth,
    );
    expect(code(stale)).toBe('STALE_OFFER');
    const accepted = await server.gql(
      ANSWER,
      { input: { participantId: late.id, revision: 1, sdp: answerSdp } },
      late.auth,
    );
    expect(accepted.data).toEqual({ answer: true });
    const again = await server.gql(
      ANSWER,
      { input: { participantId: late.id, revision: 1, sdp: answerSdp } },
      late.auth,
    );
    expect(code(again)).toBe('NO_PENDING_OFFER');

    await late.peer.waitFor(
      () => late.peer.received(first.peer.streamId).video > 2,
      10_000,
      'late receiving first',
    );
  });

  test('answering when no offer is pending fails with NO_PENDING_OFFER', async () => {
    const alone = await joinByHand(server, 'lonely', 'alone');
    cleanup.push(() => alone.peer.close());
    const response = await server.gql(
      ANSWER,
      { input: { participantId: alone.id, revision: 1, sdp: 'v=0\r\n' } },
      alone.auth,
    );
    expect(code(response)).toBe('NO_PENDING_OFFER');
  });

  test('a client offer while a server offer is pending fails with NEGOTIATION_CONFLICT; after answering, it succeeds', async () => {
    const first = await TestParticipant.join(server, 'glare', 'first');
    cleanup.push(() => first.close());
    const polite = await joinByHand(server, 'glare', 'polite');
    cleanup.push(() => polite.peer.close());
    const [pending] = await collect<Offer>(server.ws(polite.auth), NEGOTIATION, { id: polite.id }, 1).values;

    const clientOffer = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n`;
    const conflict = await server.gql(
      RENEGOTIATE,
      { input: { participantId: polite.id, offer: clientOffer } },
      polite.auth,
    );
    expect(code(conflict)).toBe('NEGOTIATION_CONFLICT');
    expect(conflict.errors?.[0]?.extensions?.pendingRevision).toBe(pending!.negotiation.revision);

    const answerSdp = await polite.peer.acceptOffer(pending!.negotiation.sdp);
    await server.gql(
      ANSWER,
      { input: { participantId: polite.id, revision: pending!.negotiation.revision, sdp: answerSdp } },
      polite.auth,
    );
    const retry = await server.gql<{ renegotiate: { answer: string; revision: number } }>(
      RENEGOTIATE,
      { input: { participantId: polite.id, offer: await polite.peer.createOffer() } },
      polite.auth,
    );
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.renegotiate.revision).toBe(pending!.negotiation.revision + 1);
    await polite.peer.acceptAnswer(retry.data!.renegotiate.answer);

    // Nothing was lost: media still flows both ways.
    const before = polite.peer.received(first.peer.streamId).video;
    await polite.peer.waitFor(
      () => polite.peer.received(first.peer.streamId).video > before + 3,
      10_000,
      'polite receiving first',
    );
    await first.waitForMediaFrom([{ peer: polite.peer, name: 'polite' } as unknown as TestParticipant]);
  });

  test("tokens: none is UNAUTHENTICATED, another participant's is FORBIDDEN, on HTTP and graphql-ws", async () => {
    const a = await joinByHand(server, 'tokens', 'a');
    const b = await joinByHand(server, 'tokens', 'b');
    cleanup.push(
      () => a.peer.close(),
      () => b.peer.close(),
    );
    const leave = `mutation ($id: ID!) { leave(participantId: $id) }`;
    expect(code(await server.gql(leave, { id: a.id }))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(leave, { id: a.id }, { authorization: 'Bearer not-a-token' }))).toBe(
      'FORBIDDEN',
    );
    expect(code(await server.gql(leave, { id: a.id }, b.auth))).toBe('FORBIDDEN');
    expect(
      code(await server.gql(ANSWER, { input: { participantId: a.id, revision: 1, sdp: 'v=0' } }, b.auth)),
    ).toBe('FORBIDDEN');
    expect(
      code(await server.gql(RENEGOTIATE, { input: { participantId: a.id, offer: 'v=0' } }, b.auth)),
    ).toBe('FORBIDDEN');
    await expect(collect(server.ws(b.auth), NEGOTIATION, { id: a.id }, 1).values).rejects.toMatchObject({
      errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })],
    });
    await expect(collect(server.ws(), NEGOTIATION, { id: a.id }, 1).values).rejects.toMatchObject({
      errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })],
    });
    // a is untouched by all of that.
    expect(server.app.conference.participantsOf('tokens').map((p) => p.id)).toContain(a.id);
    expect(code(await server.gql(leave, { id: 'no-such-participant' }, a.auth))).toBe(
      'PARTICIPANT_NOT_FOUND',
    );
  });

  test('malformed SDP fails with INVALID_SDP, and a call in progress keeps its media', async () => {
    const x = await TestParticipant.join(server, 'steady', 'x');
    const y = await TestParticipant.join(server, 'steady', 'y');
    cleanup.push(
      () => x.close(),
      () => y.close(),
    );
    await x.waitForMediaFrom([y]);
    const garbage = [
      '',
      'hello',
      'v=0\r\nm=audio nonsense\r\n',
      `v=0\r\n${'a=x\r\n'.repeat(20_000)}`,
      'v=0\r\no=- 0 0 IN IP4 1.2.3.4\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n',
    ];
    for (const offer of garbage) {
      const response = await server.gql(JOIN, { input: { roomId: 'steady', name: 'mallory', offer } });
      expect({ offer: offer.slice(0, 30), code: code(response) }).toEqual({
        offer: offer.slice(0, 30),
        code: 'INVALID_SDP',
      });
    }
    const renegotiation = await server.gql(
      RENEGOTIATE,
      { input: { participantId: x.id, offer: 'v=0\r\nm=bogus\r\n' } },
      x.auth,
    );
    expect(['INVALID_SDP', 'NEGOTIATION_CONFLICT']).toContain(code(renegotiation));
    expect(server.app.conference.participantsOf('steady')).toHaveLength(2);
    const before = y.peer.received(x.peer.streamId).video;
    await y.peer.waitFor(
      () => y.peer.received(x.peer.streamId).video > before + 5,
      5000,
      'y still receiving x',
    );
  });

  test('a participant whose negotiation subscription is gone past PARTICIPANT_TIMEOUT_MS is removed (SIGNALING_LOST)', async () => {
    const graceServer = await startTestServer({ env: { PARTICIPANT_TIMEOUT_MS: '1000' } });
    cleanup.push(() => graceServer.dispose());
    const stays = await TestParticipant.join(graceServer, 'grace', 'stays');
    const goes = await TestParticipant.join(graceServer, 'grace', 'goes');
    cleanup.push(
      () => stays.close(),
      () => goes.close(),
    );
    await stays.waitForMediaFrom([goes]);
    goes.unsubscribe();
    await stays.peer.waitFor(
      () => !stays.peer.remoteStreamIds().includes(goes.peer.streamId),
      5000,
      'stays dropping the stream of the one who lost signaling',
    );
    // The end of a stay is written in the background: wait until the database has it.
    await graceServer.app.conference.flushEvents();
    const session = await graceServer.app.database.prisma.participantSession.findUniqueOrThrow({
      where: { id: goes.id },
    });
    expect(session.leaveReason).toBe('SIGNALING_LOST');
  });
  test('leaving in the middle of a negotiation: the late answer fails cleanly and the others are unaffected', async () => {
    const steady = await TestParticipant.join(server, 'mid-negotiation', 'steady');
    cleanup.push(() => steady.close());
    const leaver = await joinByHand(server, 'mid-negotiation', 'leaver');
    cleanup.push(() => leaver.peer.close());
    const [pending] = await collect<Offer>(server.ws(leaver.auth), NEGOTIATION, { id: leaver.id }, 1).values;
    const answerSdp = await leaver.peer.acceptOffer(pending!.negotiation.sdp);
    await server.gql(`mutation ($id: ID!) { leave(participantId: $id) }`, { id: leaver.id }, leaver.auth);
    const late = await server.gql(
      ANSWER,
      { input: { participantId: leaver.id, revision: pending!.negotiation.revision, sdp: answerSdp } },
      leaver.auth,
    );
    expect(code(late)).toBe('PARTICIPANT_NOT_FOUND');
    expect(server.app.conference.participantsOf('mid-negotiation').map((p) => p.name)).toEqual(['steady']);
    expect(steady.errors).toEqual([]);
  });

  test('with ROOM_AUTO_CREATE=false, joining an unknown room fails with ROOM_NOT_FOUND', async () => {
    const strict = await startTestServer({ env: { ROOM_AUTO_CREATE: 'false' } });
    cleanup.push(() => strict.dispose());
    const peer = new TestPeer();
    cleanup.push(() => peer.close());
    const response = await strict.gql(JOIN, {
      input: { roomId: 'nowhere', name: 'x', offer: await peer.createOffer() },
    });
    expect(code(response)).toBe('ROOM_NOT_FOUND');
    expect(strict.app.media.nativeObjects().transports).toBe(0);
  });
});
