import { collect, startTestServer, type TestServer } from '../helpers/server';
import { TestParticipant } from '../helpers/participant';
import { TestPeer } from '../helpers/weriftPeer';

type Event = {
  roomEvents: {
    sequence: number;
    type: string;
    participantName: string | null;
    streamId: string | null;
    reason: string | null;
  };
};
const EVENTS = `subscription ($room: ID!) { roomEvents(roomId: $room) { sequence type participantName streamId reason } }`;

describe('room lifecycle', () => {
  let server: TestServer;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await server.dispose();
  });

  test('roomEvents reports a scripted scenario in order, with gapless sequence numbers', async () => {
    await server.gql(`mutation { createRoom(input: { id: "script" }) { id } }`);
    const events = collect<Event>(server.ws(), EVENTS, { room: 'script' }, 9, 20_000);
    await events.ready;
    const ann = await TestParticipant.join(server, 'script', 'ann');
    const ben = await TestParticipant.join(server, 'script', 'ben');
    cleanup.push(
      () => ann.close(),
      () => ben.close(),
    );
    await ann.waitForMediaFrom([ben]);
    await ben.leave();
    await server.gql(`mutation { closeRoom(id: "script") { id } }`);
    const received = (await events.values).map((event) => event.roomEvents);
    expect(received.map((event) => [event.type, event.participantName, event.reason])).toEqual([
      ['PARTICIPANT_JOINED', 'ann', null],
      ['STREAM_PUBLISHED', 'ann', null],
      ['PARTICIPANT_JOINED', 'ben', null],
      ['STREAM_PUBLISHED', 'ben', null],
      ['STREAM_UNPUBLISHED', 'ben', null],
      ['PARTICIPANT_LEFT', 'ben', 'LEFT'],
      ['STREAM_UNPUBLISHED', 'ann', null],
      ['PARTICIPANT_LEFT', 'ann', 'ROOM_CLOSED'],
      ['ROOM_CLOSED', null, null],
    ]);
    expect(received.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(received[1]!.streamId).toBe(ann.peer.streamId);
    expect(received[3]!.streamId).toBe(ben.peer.streamId);
    // Closing the room removed ann: her session is closed with the reason.
    const session = await server.app.database.prisma.participantSession.findUniqueOrThrow({
      where: { id: ann.id },
    });
    expect(session.leaveReason).toBe('ROOM_CLOSED');
  });

  test('two joins at the same instant for the last place: exactly one gets in, the other gets ROOM_FULL', async () => {
    await server.gql(`mutation { createRoom(input: { id: "one-seat", maxParticipants: 1 }) { id } }`);
    const results = await Promise.allSettled([
      TestParticipant.join(server, 'one-seat', 'left-hand'),
      TestParticipant.join(server, 'one-seat', 'right-hand'),
    ]);
    for (const result of results) if (result.status === 'fulfilled') cleanup.push(() => result.value.close());
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.errors[0].extensions.code).toBe('ROOM_FULL');
    expect(server.app.conference.participantsOf('one-seat')).toHaveLength(1);
  });

  test('many joins racing a closeRoom leave nothing behind', async () => {
    await server.gql(`mutation { createRoom(input: { id: "closing" }) { id } }`);
    const joins = Array.from({ length: 4 }, (_, i) => TestParticipant.join(server, 'closing', `racer-${i}`));
    const close = server.gql(`mutation { closeRoom(id: "closing") { id } }`);
    const results = await Promise.allSettled(joins);
    await close;
    for (const result of results) {
      if (result.status === 'fulfilled') cleanup.push(() => result.value.close());
      else expect(['ROOM_CLOSED', 'ROOM_NOT_FOUND']).toContain(result.reason.errors?.[0]?.extensions?.code);
    }
    expect(server.app.conference.participantsOf('closing')).toEqual([]);
    const open = await server.app.database.prisma.participantSession.count({
      where: { roomId: 'closing', leftAt: null },
    });
    expect(open).toBe(0);
  });

  test('a client that vanishes without leave (connection closed) is removed and the others are told within 5 s', async () => {
    const stays = await TestParticipant.join(server, 'vanish', 'stays');
    const vanishes = await TestParticipant.join(server, 'vanish', 'vanishes');
    cleanup.push(() => stays.close());
    await stays.waitForMediaFrom([vanishes]);
    const seen: Event['roomEvents'][] = [];
    const stop = server.ws().subscribe<Event>(
      { query: EVENTS, variables: { room: 'vanish' } },
      {
        next: (value) => value.data && seen.push(value.data.roomEvents),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await vanishes.close();
    while (!seen.some((event) => event.type === 'PARTICIPANT_LEFT') && Date.now() - started < 6000) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const elapsed = Date.now() - started;
    stop();
    // A socket and peer that go away without a word look like silence: reconnecting first, then gone.
    const types = seen.map((event) => event.type).filter((type) => type !== 'PARTICIPANT_RECONNECTING');
    expect(types).toEqual(['STREAM_UNPUBLISHED', 'PARTICIPANT_LEFT']);
    expect(elapsed).toBeLessThan(5000);
    expect(['DISCONNECTED', 'SIGNALING_LOST', 'TIMEOUT', 'CONNECTION_LOST']).toContain(seen.at(-1)!.reason);
  });

  test('a join whose first offer cannot be used leaves no native objects', async () => {
    const peer = new TestPeer();
    const offer = (await peer.createOffer()).replace(/a=fingerprint:.*\r\n/g, '');
    await peer.close();
    const response = await server.gql(`mutation ($input: JoinInput!) { join(input: $input) { token } }`, {
      input: { roomId: 'broken', name: 'broken', offer },
    });
    expect(response.errors?.[0]?.extensions?.code).toBe('INVALID_SDP');
    // Every native transport still alive belongs to a participant still in a room.
    expect(server.app.conference.participantsOf('broken')).toEqual([]);
    expect(server.app.media.nativeObjects().transports).toBe(server.app.media.openPeers().length);
  });
  test('an empty room closes after ROOM_EMPTY_TIMEOUT_MS (and not while someone is in it); it stays as history', async () => {
    const quick = await startTestServer({ env: { ROOM_EMPTY_TIMEOUT_MS: '400' } });
    cleanup.push(() => quick.dispose());
    const open = async (id: string) =>
      (await quick.gql<{ room: { open: boolean } }>(`query { room(id: "${id}") { open } }`)).data!.room.open;
    await quick.gql(`mutation { createRoom(input: { id: "idle" }) { id } }`);
    const visitor = await TestParticipant.join(quick, 'visited', 'visitor');
    cleanup.push(() => visitor.close());
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await open('idle')).toBe(false);
    expect(await open('visited')).toBe(true);
    await visitor.leave();
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await open('visited')).toBe(false);
    const sessions = await quick.app.database.prisma.participantSession.findMany({
      where: { roomId: 'visited' },
    });
    expect(sessions.map((session) => session.leaveReason)).toEqual(['LEFT']);
  });
  test('limits: TOO_MANY_ROOMS past ROOMS_MAX, RATE_LIMITED past JOINS_PER_SECOND_PER_ADDRESS, then joins again', async () => {
    const limited = await startTestServer({ env: { ROOMS_MAX: '2', JOINS_PER_SECOND_PER_ADDRESS: '3' } });
    cleanup.push(() => limited.dispose());
    const create = (id: string) => limited.gql(`mutation { createRoom(input: { id: "${id}" }) { id } }`);
    expect((await create('one')).errors).toBeUndefined();
    expect((await create('two')).errors).toBeUndefined();
    expect((await create('three')).errors?.[0]?.extensions?.code).toBe('TOO_MANY_ROOMS');

    const offers = new Map<string, string>();
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      const peer = new TestPeer();
      cleanup.push(() => peer.close());
      offers.set(name, await peer.createOffer());
    }
    const join = (name: string, offer = offers.get(name)) =>
      limited.gql(`mutation ($input: JoinInput!) { join(input: $input) { token } }`, {
        input: { roomId: 'one', name, offer },
      });
    const burst = await Promise.all(['a', 'b', 'c', 'd'].map((name) => join(name)));
    const codes = burst.map((response) => response.errors?.[0]?.extensions?.code ?? 'JOINED');
    expect(codes.sort()).toEqual(['JOINED', 'JOINED', 'JOINED', 'RATE_LIMITED']);
    const refused = burst.find((response) => response.errors)!;
    expect(refused.errors![0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: expect.any(Number),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await join('e')).errors).toBeUndefined();
    // A stream id someone in the room already publishes (a copied offer) is refused, not forwarded twice.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await join('copycat', offers.get('e'))).errors?.[0]?.extensions?.code).toBe('INVALID_SDP');
  });
});
