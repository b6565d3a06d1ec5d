import { ConferenceService, type ConferenceOptions } from '../../src/conference/ConferenceService';
import { RoomEventType } from '../../src/conference/events';
import type { SignalingLink } from '../../src/conference/ports';
import { Presence } from '../../src/conference/Presence';
import { FakeMediaEngine, type FakePeer, fakeSdp } from '../fakes/FakeMediaEngine';
import { memoryRepositories } from '../fakes/memoryRepositories';

/** A connection whose pongs the test controls (performance.now() is faked with the timers). */
class FakeLink implements SignalingLink {
  lastSeen = performance.now();
  open = true;
  pong(): void {
    this.lastSeen = performance.now();
  }
}

function watch(timeoutMs = 4_000) {
  let activity = 0;
  const changes: Array<boolean | string> = [];
  const presence = new Presence(timeoutMs, () => activity, {
    onReconnecting: (reconnecting) => changes.push(reconnecting),
    onGone: (reason) => changes.push(reason),
  });
  presence.start();
  const link = new FakeLink();
  const detach = presence.attach(link);
  /** `ms` of time during which the link answers pings and media flows (or not). */
  const run = async (ms: number, alive: { signaling: boolean; media: boolean }) => {
    for (let t = 0; t < ms; t += 50) {
      if (alive.signaling) link.pong();
      if (alive.media) activity++;
      await jest.advanceTimersByTimeAsync(50);
    }
  };
  return { presence, link, detach, run, changes };
}

const both = { signaling: true, media: true };
const none = { signaling: false, media: false };

describe('Presence (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('silent on every signal: reconnecting after about 1 s, gone with CONNECTION_LOST at the timeout', async () => {
    const { run, changes, presence } = watch();
    await run(2_000, both);
    expect(changes).toEqual([]);
    await run(1_300, none);
    expect(changes).toEqual([true]);
    expect(presence.reconnecting).toBe(true);
    await run(2_500, none);
    expect(changes).toEqual([true]);
    await run(500, none);
    expect(changes).toEqual([true, 'CONNECTION_LOST']);
  });

  test('a 2 s blip: reconnecting, then reconnected, never gone', async () => {
    const { run, changes } = watch();
    for (let blip = 0; blip < 20; blip++) {
      await run(1_000, both);
      await run(2_000, none);
      await run(300, both);
    }
    await run(10_000, both);
    expect(changes).toEqual(Array.from({ length: 20 }, () => [true, false]).flat());
  });

  test('media alone keeps it in (a socket that is slow to answer); signaling alone too (a receive-only client)', async () => {
    const { run, changes } = watch();
    await run(3_000, { signaling: false, media: true });
    // No pong for 2 s: suspect, but the media says it is there.
    expect(changes).toEqual([true]);
    await run(500, both);
    expect(changes).toEqual([true, false]);
    await run(10_000, { signaling: true, media: false });
    expect(changes).toEqual([true, false]);
  });

  test('signaling gone for the timeout while media flows: SIGNALING_LOST (it cannot follow renegotiations)', async () => {
    const { run, changes, detach } = watch();
    await run(500, both);
    detach();
    await run(4_500, { signaling: false, media: true });
    expect(changes).toEqual([true, 'SIGNALING_LOST']);
  });

  test('resume: the subscription comes back on a new connection before the timeout', async () => {
    const { run, changes, detach, presence } = watch();
    await run(500, both);
    detach();
    await run(2_500, none);
    expect(changes).toEqual([true]);
    const again = new FakeLink();
    presence.attach(again);
    await jest.advanceTimersByTimeAsync(300);
    expect(changes).toEqual([true, false]);
  });

  test('media activity is not read while signaling answers (medooze stats cost), and is read once it goes quiet', async () => {
    let reads = 0;
    const changes: Array<boolean | string> = [];
    const presence = new Presence(4_000, () => ++reads, {
      onReconnecting: (reconnecting) => changes.push(reconnecting),
      onGone: (reason) => changes.push(reason),
    });
    presence.start();
    const link = new FakeLink();
    presence.attach(link);
    for (let t = 0; t < 3_000; t += 50) {
      link.pong();
      await jest.advanceTimersByTimeAsync(50);
    }
    expect(reads).toBe(0);
    // Signaling quiet, media flowing (every read differs): read each tick, never suspect before 2 s.
    await jest.advanceTimersByTimeAsync(1_900);
    expect(reads).toBeGreaterThanOrEqual(5);
    expect(changes).toEqual([]);
    presence.stop();
  });

  test('stop() ends its timer: nothing happens afterwards', async () => {
    const { run, changes, presence } = watch();
    presence.stop();
    await run(10_000, none);
    expect(changes).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });
});

const options: ConferenceOptions = {
  autoCreateRooms: true,
  defaultMaxParticipants: 16,
  maxRooms: 1000,
  emptyRoomTimeoutMs: 0,
  participantTimeoutMs: 4_000,
  retryPolicy: { initialDelayMs: 50, maxDelayMs: 500, maxPending: 100_000, maxBatch: 100 },
};

describe('a room hears of its reconnecting members', () => {
  afterEach(() => jest.useRealTimers());

  test('PARTICIPANT_RECONNECTING, PARTICIPANT_RECONNECTED, then PARTICIPANT_LEFT with CONNECTION_LOST', async () => {
    jest.useFakeTimers();
    const repositories = memoryRepositories();
    const media = new FakeMediaEngine();
    const conference = new ConferenceService(repositories, media, options);
    const { participant } = await conference.join({
      roomId: 'r',
      name: 'ada',
      offer: fakeSdp({ cam: [['a', 'audio']] }),
    });
    const peer = media.peer(participant.peer.id) as FakePeer;
    const link = new FakeLink();
    const offers = conference.negotiation(participant, link);
    const live = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        link.pong();
        peer.heard++;
        await jest.advanceTimersByTimeAsync(50);
      }
    };
    await live(500);
    await jest.advanceTimersByTimeAsync(1_500);
    expect(participant.reconnecting).toBe(true);
    await live(500);
    expect(participant.reconnecting).toBe(false);
    await jest.advanceTimersByTimeAsync(4_500);
    expect(participant.leftReason).toBe('CONNECTION_LOST');
    await conference.flushEvents();
    expect(repositories.events.stored('r').map((event) => [event.type, event.reason ?? null])).toEqual([
      [RoomEventType.PARTICIPANT_JOINED, null],
      [RoomEventType.STREAM_PUBLISHED, null],
      [RoomEventType.PARTICIPANT_RECONNECTING, null],
      [RoomEventType.PARTICIPANT_RECONNECTED, null],
      [RoomEventType.PARTICIPANT_RECONNECTING, null],
      [RoomEventType.STREAM_UNPUBLISHED, null],
      [RoomEventType.PARTICIPANT_LEFT, 'CONNECTION_LOST'],
    ]);
    await offers.return?.();
    await conference.shutdown();
  });
});
