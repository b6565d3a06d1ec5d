import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

const SET_LAYER = `mutation ($input: SetPreferredLayerInput!) { setPreferredLayer(input: $input) }`;

describe('setPreferredLayer', () => {
  let server: TestServer;
  let alice: TestParticipant;
  let bob: TestParticipant;
  beforeAll(async () => {
    server = await startTestServer();
    alice = await TestParticipant.join(server, 'layers', 'alice');
    bob = await TestParticipant.join(server, 'layers', 'bob');
    await bob.waitForMediaFrom([alice]);
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.dispose();
  });

  const setLayer = (
    who: TestParticipant,
    input: { streamId: string; spatial?: number | null; temporal?: number | null },
    auth: Record<string, string> = who.auth,
  ) => server.gql(SET_LAYER, { input: { participantId: who.id, ...input } }, auth);

  test('pins and releases the layer of a stream the participant receives', async () => {
    const streamId = alice.peer.streamId;
    expect((await setLayer(bob, { streamId, spatial: 0, temporal: 1 })).data).toEqual({
      setPreferredLayer: true,
    });
    expect((await setLayer(bob, { streamId, spatial: 15 })).data).toEqual({ setPreferredLayer: true });
    expect((await setLayer(bob, { streamId, spatial: null, temporal: null })).data).toEqual({
      setPreferredLayer: true,
    });
    // Forwarding goes on (alice sends one encoding here: there is nothing to choose from).
    await bob.waitForMediaFrom([alice]);
  });

  test('error codes: STREAM_NOT_FOUND, BAD_USER_INPUT, FORBIDDEN, UNAUTHENTICATED', async () => {
    const streamId = alice.peer.streamId;
    const code = async (response: ReturnType<typeof setLayer>) =>
      (await response).errors?.[0]?.extensions?.code;
    expect(await code(setLayer(bob, { streamId: 'no-such-stream', spatial: 0 }))).toBe('STREAM_NOT_FOUND');
    // Its own stream is not one it receives.
    expect(await code(setLayer(alice, { streamId, spatial: 0 }))).toBe('STREAM_NOT_FOUND');
    expect(await code(setLayer(bob, { streamId, spatial: -1 }))).toBe('BAD_USER_INPUT');
    expect(await code(setLayer(bob, { streamId, temporal: -2 }))).toBe('BAD_USER_INPUT');
    expect(await code(setLayer(bob, { streamId, spatial: 16 }))).toBe('BAD_USER_INPUT');
    expect(await code(setLayer(bob, { streamId, spatial: 0 }, alice.auth))).toBe('FORBIDDEN');
    expect(await code(setLayer(bob, { streamId, spatial: 0 }, {}))).toBe('UNAUTHENTICATED');
  });
});
