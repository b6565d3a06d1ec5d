import { TestParticipant } from '../helpers/participant';
import { collect, startTestServer, type TestServer } from '../helpers/server';

const MUTE = `mutation ($input: SetTrackMutedInput!) { setTrackMuted(input: $input) }`;
type Event = { roomEvents: { type: string; participantName: string; streamId: string; trackId: string } };
type Room = {
  room: {
    participants: Array<{
      name: string;
      streams: Array<{ tracks: Array<{ id: string; kind: string; muted: boolean }> }>;
    }>;
  };
};

describe('mute state reported by publishers', () => {
  let server: TestServer;
  let alice: TestParticipant;
  let bob: TestParticipant;
  beforeAll(async () => {
    server = await startTestServer();
    alice = await TestParticipant.join(server, 'quiet', 'alice');
    bob = await TestParticipant.join(server, 'quiet', 'bob');
  });
  afterAll(async () => {
    await alice.close();
    await bob.close();
    await server.dispose();
  });

  const aliceTracks = async () => {
    const room = await server.gql<Room>(
      `query { room(id: "quiet") { participants { name streams { tracks { id kind muted } } } } }`,
    );
    return room.data!.room.participants.find((p) => p.name === 'alice')!.streams.flatMap((s) => s.tracks);
  };

  test('Track.muted and TRACK_MUTED / TRACK_UNMUTED follow what the publisher reports, once per change', async () => {
    const audio = (await aliceTracks()).find((track) => track.kind === 'AUDIO')!;
    expect(audio.muted).toBe(false);
    const events = collect<Event>(
      server.ws(),
      `subscription { roomEvents(roomId: "quiet") { type participantName streamId trackId } }`,
      {},
      2,
      5000,
    );
    await events.ready;
    const mute = (muted: boolean) =>
      server.gql(MUTE, { input: { participantId: alice.id, trackId: audio.id, muted } }, alice.auth);
    expect((await mute(true)).data).toEqual({ setTrackMuted: true });
    await mute(true); // no change, no event
    expect((await aliceTracks()).find((track) => track.id === audio.id)!.muted).toBe(true);
    await mute(false);
    expect((await events.values).map((event) => event.roomEvents)).toEqual([
      { type: 'TRACK_MUTED', participantName: 'alice', streamId: alice.peer.streamId, trackId: audio.id },
      { type: 'TRACK_UNMUTED', participantName: 'alice', streamId: alice.peer.streamId, trackId: audio.id },
    ]);
  });

  test('only the publisher reports its own tracks: FORBIDDEN with another token, TRACK_NOT_FOUND for a track it does not publish', async () => {
    const audio = (await aliceTracks()).find((track) => track.kind === 'AUDIO')!;
    const foreign = await server.gql(
      MUTE,
      { input: { participantId: alice.id, trackId: audio.id, muted: true } },
      bob.auth,
    );
    expect(foreign.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await server.gql(
      MUTE,
      { input: { participantId: alice.id, trackId: 'nope', muted: true } },
      alice.auth,
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('TRACK_NOT_FOUND');
    expect((await aliceTracks()).every((track) => !track.muted)).toBe(true);
  });
});
