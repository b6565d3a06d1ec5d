import { ConferenceService, type ConferenceOptions } from '../../src/conference/ConferenceService';
import { type RoomEvent, RoomEventType } from '../../src/conference/events';
import type { TrackKind } from '../../src/conference/ports';
import { FakeMediaEngine, type FakePeer, fakeSdp } from '../fakes/FakeMediaEngine';
import { memoryRepositories } from '../fakes/memoryRepositories';

const options: ConferenceOptions = {
  autoCreateRooms: true,
  defaultMaxParticipants: 16,
  maxRooms: 100_000,
  emptyRoomTimeoutMs: 0,
  participantTimeoutMs: 0,
  retryPolicy: { initialDelayMs: 50, maxDelayMs: 500, maxPending: 100_000, maxBatch: 100 },
};

function setup(overrides: Partial<ConferenceOptions> = {}) {
  const repositories = memoryRepositories();
  const media = new FakeMediaEngine();
  const conference = new ConferenceService(repositories, media, { ...options, ...overrides });
  const join = async (roomId: string, name: string) => {
    const streams: Record<string, Array<[string, TrackKind]>> = {
      [`${name}-cam`]: [
        [`${name}-a`, 'audio'],
        [`${name}-v`, 'video'],
      ],
    };
    const { participant } = await conference.join({ roomId, name, offer: fakeSdp(streams) });
    return { participant, peer: media.peer(participant.peer.id) as FakePeer };
  };
  return { ...repositories, media, conference, join };
}

async function collect(stream: AsyncIterableIterator<RoomEvent>): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const types = (events: RoomEvent[]) => events.map((event) => event.type);

describe('rooms own their members, timers, detector and log', () => {
  afterEach(() => jest.useRealTimers());

  test('10,000 rooms opened and closed leave the registry and every per-room structure empty', async () => {
    const { conference, media, join, events } = setup();
    for (let n = 0; n < 10_000; n++) {
      const roomId = `room-${n}`;
      if (n % 10 === 0) await join(roomId, 'ada');
      else await conference.createRoom({ id: roomId });
      await conference.closeRoom(roomId);
    }
    await conference.flushEvents();
    expect(conference.registry.sizes()).toEqual({ rooms: 0, loading: 0, retiring: 0, participants: 0 });
    // Only the process-wide writers (sessions, quality samples) are left.
    expect(conference.writes.size).toBe(2);
    expect(media.openPeers()).toEqual([]);
    expect(media.liveDetectors()).toBe(0);
    expect(events.stored('room-9990').at(-1)?.type).toBe(RoomEventType.ROOM_CLOSED);
    // Reading closed rooms (replays, moderation attempts) creates no live state either.
    for (let n = 0; n < 100; n++) {
      await collect(await conference.roomEvents(`room-${n}`, 0));
      await expect(conference.muteTrack(`room-${n}`, 'x')).rejects.toMatchObject({ code: 'ROOM_CLOSED' });
    }
    expect(conference.registry.sizes()).toEqual({ rooms: 0, loading: 0, retiring: 0, participants: 0 });
    expect(conference.writes.size).toBe(2);
    expect(media.liveDetectors()).toBe(0);
    await conference.shutdown();
  }, 120_000);

  test('closing a room closes its members first; ROOM_CLOSED is the last event', async () => {
    const { conference, join, media, sessions } = setup();
    const ada = await join('r', 'ada');
    const bob = await join('r', 'bob');
    expect(ada.peer.subscribedStreamIds()).toEqual(['bob-cam']);
    expect(bob.peer.subscribedStreamIds()).toEqual(['ada-cam']);
    const replay = conference.roomEvents('r', 0);
    await conference.closeRoom('r');
    const events = await collect(await replay);
    expect(types(events).at(-1)).toBe(RoomEventType.ROOM_CLOSED);
    const left = events.filter((event) => event.type === RoomEventType.PARTICIPANT_LEFT);
    expect(left.map((event) => [event.participantName, event.reason])).toEqual([
      ['ada', 'ROOM_CLOSED'],
      ['bob', 'ROOM_CLOSED'],
    ]);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(ada.peer.closed && bob.peer.closed).toBe(true);
    expect(media.liveDetectors()).toBe(0);
    await conference.flushEvents();
    expect([...sessions.sessions.values()].map((session) => session.leaveReason)).toEqual([
      'ROOM_CLOSED',
      'ROOM_CLOSED',
    ]);
    await conference.shutdown();
  });

  test('a replay started while the room closes and the database is failing ends with ROOM_CLOSED', async () => {
    const { conference, join, db, events } = setup();
    await join('r', 'ada');
    await conference.flushEvents();
    db.writesDown = true; // markClosed too: let it through once
    const markClosed = conference['repositories'].rooms.markClosed.bind(conference['repositories'].rooms);
    conference['repositories'].rooms.markClosed = async (id, at) => {
      db.writesDown = false;
      await markClosed(id, at);
      db.writesDown = true;
    };
    const closing = conference.closeRoom('r');
    const replay = await conference.roomEvents('r', 0);
    await closing;
    const during = await collect(replay);
    expect(types(during).at(-1)).toBe(RoomEventType.ROOM_CLOSED);
    // Closed, with its last events still unstored: a new replay still ends with ROOM_CLOSED.
    expect(conference.registry.sizes().retiring).toBe(1);
    expect(types(await collect(await conference.roomEvents('r', 0))).at(-1)).toBe(RoomEventType.ROOM_CLOSED);
    db.writesDown = false;
    await conference.flushEvents();
    expect(types(events.stored('r')).at(-1)).toBe(RoomEventType.ROOM_CLOSED);
    expect(conference.registry.sizes().retiring).toBe(0);
    await conference.shutdown();
  });

  test('a database outage during joins loses no event and no session; media setup does not wait for it', async () => {
    jest.useFakeTimers();
    const { conference, join, db, events, sessions } = setup();
    await join('r', 'ada');
    await jest.advanceTimersByTimeAsync(10);
    db.writesDown = true;
    const bob = await join('r', 'bob');
    conference.setTrackMuted(bob.participant, 'bob-a', true);
    const cy = await join('r', 'cy');
    await conference.leave(cy.participant);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(conference.backgroundWrites()).toMatchObject({ status: 'retrying' });
    db.writesDown = false;
    await jest.advanceTimersByTimeAsync(1_000);
    const stored = events.stored('r');
    expect(stored.map((event) => event.sequence)).toEqual(stored.map((_, i) => i + 1));
    expect(types(stored)).toEqual([
      'PARTICIPANT_JOINED',
      'STREAM_PUBLISHED',
      'PARTICIPANT_JOINED',
      'STREAM_PUBLISHED',
      'TRACK_MUTED',
      'PARTICIPANT_JOINED',
      'STREAM_PUBLISHED',
      'STREAM_UNPUBLISHED',
      'PARTICIPANT_LEFT',
    ]);
    expect([...sessions.sessions.values()].map((s) => [s.displayName, s.leaveReason])).toEqual([
      ['ada', null],
      ['bob', null],
      ['cy', 'LEFT'],
    ]);
    expect(conference.backgroundWrites()).toMatchObject({ status: 'ok', pending: 0 });
    jest.useRealTimers();
    await conference.shutdown();
  });

  test('an empty room closes itself after the timeout; a join in time keeps it open', async () => {
    jest.useFakeTimers();
    const { conference, join } = setup({ emptyRoomTimeoutMs: 1_000 });
    await conference.createRoom({ id: 'r' });
    await jest.advanceTimersByTimeAsync(800);
    const ada = await join('r', 'ada');
    await jest.advanceTimersByTimeAsync(5_000);
    expect((await conference.getRoom('r')).closedAt).toBeNull();
    await conference.leave(ada.participant);
    await jest.advanceTimersByTimeAsync(1_100);
    expect((await conference.getRoom('r')).closedAt).not.toBeNull();
    expect(conference.registry.sizes().rooms).toBe(0);
    jest.useRealTimers();
    await conference.shutdown();
  });

  test('a participant nobody listens for is removed after the grace period; a listener keeps it', async () => {
    jest.useFakeTimers();
    const { conference, join } = setup({ participantTimeoutMs: 3_000 });
    const ada = await join('r', 'ada');
    const bob = await join('r', 'bob');
    const offers = conference.negotiation(bob.participant);
    await jest.advanceTimersByTimeAsync(3_100);
    expect(ada.participant.leftReason).toBe('SIGNALING_LOST');
    expect(bob.participant.present).toBe(true);
    await offers.return?.();
    // Presence is evaluated every 250 ms.
    await jest.advanceTimersByTimeAsync(3_300);
    expect(bob.participant.leftReason).toBe('SIGNALING_LOST');
    expect(conference.registry.sizes().participants).toBe(0);
    jest.useRealTimers();
    await conference.shutdown();
  });

  test('a lost transport removes its participant; the others stop receiving it and renegotiate', async () => {
    const { conference, join } = setup();
    const ada = await join('r', 'ada');
    const bob = await join('r', 'bob');
    await new Promise((resolve) => setImmediate(resolve));
    conference.answer(bob.participant, bob.participant.pendingOffer!.revision, 'v=0 answer');
    const offers: number[] = [];
    bob.participant.on('offer', (offer) => offers.push(offer.revision));
    ada.peer.lose('DISCONNECTED');
    await new Promise((resolve) => setImmediate(resolve));
    expect(ada.participant.leftReason).toBe('DISCONNECTED');
    expect(bob.peer.subscribedStreamIds()).toEqual([]);
    expect(offers.length).toBeGreaterThan(0);
    expect(conference.participantsOf('r')).toEqual([bob.participant]);
    await conference.shutdown();
  });

  test('a stream id another member already publishes is refused, and never listed as published', async () => {
    const { conference, join } = setup();
    const ada = await join('r', 'ada');
    const bob = await join('r', 'bob');
    await new Promise((resolve) => setImmediate(resolve));
    conference.answer(bob.participant, bob.participant.pendingOffer!.revision, 'v=0 answer');
    conference.renegotiate(
      bob.participant,
      fakeSdp({ 'bob-cam': [['bob-v', 'video']], 'ada-cam': [['x', 'video']] }),
    );
    expect(conference.streamsOf(bob.participant).map((stream) => stream.id)).toEqual(['bob-cam']);
    expect(ada.peer.subscribedStreamIds()).toEqual(['bob-cam']);
    await conference.shutdown();
  });
  test.each([
    ['the only writer', true, []],
    ['one of several writers', false, ['together']],
  ])(
    'first joiners arriving together share one room creation (%s): one insert, one lookup at most',
    async (_, soleWriter, lookups) => {
      const { conference, join, rooms } = setup({ soleWriter });
      await conference.recover();
      // Each insert and read takes a database round trip, as on PostgreSQL.
      const inserted: string[] = [];
      const loaded: string[] = [];
      const create = rooms.create.bind(rooms);
      const findById = rooms.findById.bind(rooms);
      rooms.create = async (room) => {
        inserted.push(room.id);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return create(room);
      };
      rooms.findById = async (id) => {
        loaded.push(id);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return findById(id);
      };
      const joined = await Promise.all(['ada', 'bob', 'cyd', 'dan'].map((name) => join('together', name)));
      expect(inserted).toEqual(['together']);
      expect(loaded).toEqual(lookups);
      expect(
        conference
          .participantsOf('together')
          .map((p) => p.name)
          .sort(),
      ).toEqual(['ada', 'bob', 'cyd', 'dan']);
      expect(new Set(joined.map((j) => j.participant.id)).size).toBe(4);
      await conference.shutdown();
    },
  );
});
