import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Real WebRTC peers (werift) against the real server: medooze forwards every participant's audio
 * and video to every other participant, late joiners included.
 */
describe('media flows all-to-all', () => {
  let server: TestServer;
  const everyone: TestParticipant[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await Promise.all(everyone.map((participant) => participant.close()));
    await server.dispose();
  });

  const join = async (name: string, roomId = 'all-to-all') => {
    const participant = await TestParticipant.join(server, roomId, name);
    everyone.push(participant);
    return participant;
  };

  test('four participants joining one after another each receive the other three', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.waitForMediaFrom([bob]);
    await bob.waitForMediaFrom([alice]);
    const carol = await join('carol');
    const dave = await join('dave');
    const four = [alice, bob, carol, dave];
    for (const participant of four) {
      await participant.waitForMediaFrom(four.filter((other) => other !== participant));
    }
    for (const participant of four) expect(participant.errors).toEqual([]);

    // Each receiver maps every incoming stream to its publisher with one query.
    const room = await server.gql<{
      room: {
        participants: Array<{
          name: string;
          streams: Array<{ id: string; tracks: Array<{ kind: string }> }>;
        }>;
      };
    }>(`query { room(id: "all-to-all") { participants { name streams { id tracks { kind } } } } }`);
    const streamOwners = new Map(
      room.data!.room.participants.flatMap((p) => p.streams.map((s) => [s.id, p.name] as const)),
    );
    for (const participant of four) {
      expect(streamOwners.get(participant.peer.streamId)).toBe(participant.name);
      const received = alice.peer
        .remoteStreamIds()
        .map((id) => streamOwners.get(id))
        .sort();
      expect(received).toEqual(['bob', 'carol', 'dave']);
    }
  });

  test('a participant who leaves is removed from everyone; rejoining works', async () => {
    const [alice, bob, carol, dave] = everyone as [
      TestParticipant,
      TestParticipant,
      TestParticipant,
      TestParticipant,
    ];
    const bobStream = bob.peer.streamId;
    await bob.leave();
    for (const participant of [alice, carol, dave]) {
      await participant.peer.waitFor(
        () => !participant.peer.remoteStreamIds().includes(bobStream),
        10_000,
        `${participant.name} dropping bob's stream`,
      );
    }
    const session = await server.app.database.prisma.participantSession.findUniqueOrThrow({
      where: { id: bob.id },
    });
    expect(session.leaveReason).toBe('LEFT');
    expect(session.leftAt).toBeInstanceOf(Date);

    // The others still receive each other.
    const before = alice.peer.received(carol.peer.streamId).video;
    await alice.peer.waitFor(
      () => alice.peer.received(carol.peer.streamId).video > before + 5,
      5000,
      'alice still receiving carol',
    );

    const bobAgain = await join('bob');
    const others = [alice, carol, dave];
    await bobAgain.waitForMediaFrom(others);
    for (const participant of others) await participant.waitForMediaFrom([bobAgain]);
  });

  test('after everyone leaves, no transports or streams remain in medooze', async () => {
    const present = everyone.filter((participant) =>
      server.app.conference.participantsOf('all-to-all').some((p) => p.id === participant.id),
    );
    for (const participant of present) await participant.leave();
    // A leave is answered before medooze has released the transport; wait for that.
    await server.app.media.settled();
    expect(server.app.conference.participantsOf('all-to-all')).toEqual([]);
    expect(server.app.media.openPeers()).toEqual([]);
    expect(server.app.media.nativeObjects()).toEqual({
      transports: 0,
      incomingStreams: 0,
      outgoingStreams: 0,
    });
  });
});
