import { AccessTokens } from '../../src/access/AccessTokens';
import { TestParticipant } from '../helpers/participant';
import { collect, startTestServer, tracksOf, type TestServer } from '../helpers/server';

/** Secured mode with real peers: grants shape the media, moderators act, bans outlive a restart. */
const API_KEY = 'moderation-key';
const API_SECRET = 'moderation-secret-0123456789abcdef012345';
const ENV = { API_KEY, API_SECRET };
const tokens = new AccessTokens(API_KEY, API_SECRET);
const ROOM = 'moderated';
const joinToken = (identity: string, grants = {}) =>
  tokens.mintJoinToken({ room: ROOM, identity, name: identity, grants });
const errorCode = (error: unknown) =>
  (error as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;

describe('secured mode with real peers', () => {
  let server: TestServer;
  let alice: TestParticipant;
  let bob: TestParticipant;
  const people: TestParticipant[] = [];
  const moderator = { authorization: `Bearer ${joinToken('mod', { roomAdmin: true, canPublish: false })}` };
  const admin = { authorization: `Bearer ${tokens.mintAdminToken()}` };
  const join = async (identity: string, token: string, options = {}) => {
    const participant = await TestParticipant.join(server, ROOM, 'ignored', { joinToken: token, ...options });
    people.push(participant);
    return participant;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: ENV });
    alice = await join('alice', joinToken('alice'));
    bob = await join('bob', joinToken('bob'));
    await bob.waitForMediaFrom([alice]);
  });
  afterAll(async () => {
    await Promise.all(people.map((p) => p.close()));
    await server.dispose();
  });

  test('the join token names the participant and its grants', async () => {
    const room = await server.gql<{
      room: { participants: Array<{ name: string; identity: string; grants: Record<string, boolean> }> };
    }>(
      `query { room(id: "${ROOM}") { participants { name identity grants { canPublish canSubscribe roomAdmin } } } }`,
      {},
      alice.auth,
    );
    expect(room.data!.room.participants).toContainEqual({
      name: 'alice',
      identity: 'alice',
      grants: { canPublish: true, canSubscribe: true, roomAdmin: false },
    });
  });

  test('a subscriber-only grant: an offer that sends is refused, a receive-only one joins and receives, adding a track is refused', async () => {
    const viewerToken = joinToken('viewer', { canPublish: false });
    await expect(join('viewer', viewerToken)).rejects.toMatchObject({
      errors: [{ extensions: { code: 'FORBIDDEN' } }],
    });
    const viewer = await join('viewer', viewerToken, { publish: { audio: false, video: false } });
    await viewer.waitForMediaFrom([alice, bob]);
    await viewer.settled();
    viewer.peer.addExtraVideo();
    const offer = await viewer.peer.createOffer();
    const response = await server.gql(
      `mutation ($input: RenegotiateInput!) { renegotiate(input: $input) { answer } }`,
      { input: { participantId: viewer.id, offer } },
      viewer.auth,
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await viewer.peer.rollback();
    // Refused without harm: alice and bob still receive each other.
    const before = bob.peer.received(alice.peer.streamId).video;
    await bob.peer.waitFor(
      () => bob.peer.received(alice.peer.streamId).video > before + 10,
      5000,
      'video keeps flowing',
    );
    await viewer.leave();
  });

  test('without canSubscribe a participant publishes to the others but is forwarded nothing', async () => {
    const speaker = await join('speaker', joinToken('speaker', { canSubscribe: false }));
    await alice.waitForMediaFrom([speaker]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(speaker.peer.remoteStreamIds()).toEqual([]);
    const stats = await server.gql<{
      room: { participants: Array<{ name: string; stats: { outbound: unknown[] } }> };
    }>(`query { room(id: "${ROOM}") { participants { name stats { outbound { trackId } } } } }`, {}, admin);
    expect(stats.data!.room.participants.find((p) => p.name === 'speaker')!.stats.outbound).toEqual([]);
    await speaker.leave();
  });

  test("a moderator mutes someone's track: nobody is forwarded it any more, the room is told, the publisher may unmute", async () => {
    const audio = (await tracksOf(server, ROOM, admin)).find(
      (t) => t.participant === 'alice' && t.kind === 'AUDIO',
    )!.id;
    const events = collect<{
      roomEvents: { type: string; participantName: string; trackId: string; reason: string };
    }>(
      server.ws(moderator),
      `subscription { roomEvents(roomId: "${ROOM}") { type participantName trackId reason } }`,
      {},
      2,
      10_000,
    );
    await events.ready;
    const muted = await server.gql(`mutation ($t: ID!) { muteTrack(trackId: $t) }`, { t: audio }, moderator);
    expect(muted).toMatchObject({ data: { muteTrack: true } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const atMute = bob.peer.received(alice.peer.streamId).audio;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Opus at 50 packets/s: a second of forwarding would be about 50 more.
    expect(bob.peer.received(alice.peer.streamId).audio - atMute).toBeLessThan(5);
    const unmuted = await server.gql(
      `mutation ($input: SetTrackMutedInput!) { setTrackMuted(input: $input) }`,
      { input: { participantId: alice.id, trackId: audio, muted: false } },
      alice.auth,
    );
    expect(unmuted.errors).toBeUndefined();
    const atUnmute = bob.peer.received(alice.peer.streamId).audio;
    await bob.peer.waitFor(
      () => bob.peer.received(alice.peer.streamId).audio > atUnmute + 20,
      5000,
      'audio again',
    );
    expect((await events.values).map((e) => e.roomEvents)).toEqual([
      { type: 'TRACK_MUTED', participantName: 'alice', trackId: audio, reason: 'MODERATOR' },
      { type: 'TRACK_UNMUTED', participantName: 'alice', trackId: audio, reason: 'PUBLISHER' },
    ]);
  });

  test('kicked without a ban, one may come back with the same token', async () => {
    const token = joinToken('erin');
    const erin = await join('erin', token);
    const kicked = await server.gql(
      `mutation ($id: ID!) { kickParticipant(participantId: $id) }`,
      { id: erin.id },
      moderator,
    );
    expect(kicked).toMatchObject({ data: { kickParticipant: true } });
    await erin.close();
    await join('erin', token).then((again) => again.leave());
  });

  test('kicked and banned: no token issued before the kick opens the room again, not even after a restart; a newer one does', async () => {
    const oldToken = joinToken('mallory');
    const mallory = await join('mallory', oldToken);
    const left = collect<{ roomEvents: { type: string; participantName: string; reason: string } }>(
      server.ws(admin),
      `subscription { roomEvents(roomId: "${ROOM}") { type participantName reason } }`,
      {},
      2,
    );
    await left.ready;
    const kicked = await server.gql(
      `mutation ($id: ID!) { kickParticipant(participantId: $id, ban: true) }`,
      { id: mallory.id },
      moderator,
    );
    expect(kicked).toMatchObject({ data: { kickParticipant: true } });
    expect((await left.values).map((e) => e.roomEvents)).toEqual([
      { type: 'STREAM_UNPUBLISHED', participantName: 'mallory', reason: null },
      { type: 'PARTICIPANT_LEFT', participantName: 'mallory', reason: 'KICKED' },
    ]);
    await mallory.close();
    // Her old participant token is dead too.
    const stale = await server.gql(`query { room(id: "${ROOM}") { id } }`, {}, mallory.auth);
    expect(stale.errors?.[0]?.extensions?.code).toBe('INVALID_TOKEN');
    expect(await join('mallory', oldToken).then(() => 'joined', errorCode)).toBe('BANNED');

    await Promise.all(people.splice(0).map((p) => p.close()));
    await server.stop();
    server = await startTestServer({ env: ENV, dataDir: server.dataDir });
    expect(await join('mallory', oldToken).then(() => 'joined', errorCode)).toBe('BANNED');
    const sessions = await server.gql<{
      room: { sessions: Array<{ identity: string; leaveReason: string }> };
    }>(`query { room(id: "${ROOM}") { sessions { identity leaveReason } } }`, {}, admin);
    expect(sessions.data!.room.sessions).toContainEqual({ identity: 'mallory', leaveReason: 'KICKED' });
    // JWT times are whole seconds: a token of the next second is newer than the ban.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const forgiven = await join('mallory', joinToken('mallory'));
    await forgiven.leave();
  });

  test('a room admin closes the room; an admin token reads it afterwards as history', async () => {
    const closed = await server.gql(`mutation { closeRoom(id: "${ROOM}") { open } }`, {}, moderator);
    expect(closed).toMatchObject({ data: { closeRoom: { open: false } } });
    const history = await server.gql<{ room: { open: boolean } }>(
      `query { room(id: "${ROOM}") { open } }`,
      {},
      admin,
    );
    expect(history.data!.room.open).toBe(false);
  });
});
