import { BackgroundWrites } from '../../src/conference/BackgroundWrites';
import { type RoomEvent, RoomEventType } from '../../src/conference/events';
import type { RetryPolicy } from '../../src/conference/RetryingWriter';
import { RoomEventLog, storedEvents } from '../../src/conference/RoomEventLog';
import { REPLAY_PAGE_SIZE } from '../../src/conference/RoomEventStream';
import { memoryRepositories } from '../fakes/memoryRepositories';

const policy: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, maxPending: 100_000, maxBatch: 50 };

function setup(lastSequence = 0) {
  const repositories = memoryRepositories();
  const writes = new BackgroundWrites();
  const log = new RoomEventLog('r', lastSequence, repositories.events, writes, policy);
  const join = (n: number) =>
    log.append({ type: RoomEventType.PARTICIPANT_JOINED, participantId: `p${n}`, participantName: `P${n}` });
  return { ...repositories, writes, log, join };
}

async function take(stream: AsyncIterator<RoomEvent>, count: number): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  while (events.length < count) {
    const next = await stream.next();
    if (next.done) break;
    events.push(next.value);
  }
  return events;
}

async function drain(stream: AsyncIterator<RoomEvent>): Promise<RoomEvent[]> {
  return take(stream, Number.MAX_SAFE_INTEGER);
}

const sequences = (events: RoomEvent[]) => events.map((event) => event.sequence);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RoomEventLog', () => {
  afterEach(() => jest.useRealTimers());

  test('a repository that fails for a while then recovers: every event stored once, in order, no gap', async () => {
    jest.useFakeTimers();
    const { db, events, writes, join, log } = setup();
    db.failures = 7;
    for (let n = 1; n <= 120; n++) join(n);
    await jest.advanceTimersByTimeAsync(50);
    expect(writes.status()).toMatchObject({ status: 'retrying', pending: 120 });
    await jest.advanceTimersByTimeAsync(20_000);
    const stored = events.stored('r');
    expect(sequences(stored)).toEqual(range(1, 120));
    expect(stored.map((event) => event.participantId)).toEqual(range(1, 120).map((n) => `p${n}`));
    expect(writes.status()).toMatchObject({ status: 'ok', pending: 0, dropped: 0 });
    expect(log.pendingWrites()).toBe(0);
  });

  test('a 30 s outage loses no event; numbering goes on without a gap afterwards', async () => {
    jest.useFakeTimers();
    const { db, events, join, writes } = setup(41);
    join(1);
    await jest.advanceTimersByTimeAsync(10);
    db.down = true;
    for (let n = 2; n <= 30; n++) {
      join(n);
      await jest.advanceTimersByTimeAsync(1_000);
    }
    expect(sequences(events.stored('r'))).toEqual([42]);
    expect(writes.status().failingSince).not.toBeNull();
    db.down = false;
    await jest.advanceTimersByTimeAsync(5_000);
    join(31);
    await jest.advanceTimersByTimeAsync(10);
    expect(sequences(events.stored('r'))).toEqual(range(42, 72));
    expect(writes.status().status).toBe('ok');
  });

  test('replay merges what is stored, what is on its way and what happens next, each once', async () => {
    jest.useFakeTimers();
    const { db, join, log } = setup();
    for (let n = 1; n <= 5; n++) join(n);
    await jest.advanceTimersByTimeAsync(10);
    db.writesDown = true; // writes fail from now on; reads still work
    for (let n = 6; n <= 8; n++) join(n);
    const stream = log.stream(2);
    const first = await take(stream, 6);
    expect(sequences(first)).toEqual(range(3, 8));
    join(9);
    expect(sequences(await take(stream, 1))).toEqual([9]);
    db.writesDown = false;
    await jest.advanceTimersByTimeAsync(2_000);
    join(10);
    expect(sequences(await take(stream, 1))).toEqual([10]);
    await stream.return?.();
  });

  test('replay is read a page at a time as the reader asks, not loaded whole', async () => {
    const { events, join, log } = setup();
    for (let n = 1; n <= 2_000; n++) join(n);
    await log.flush();
    const stream = log.stream(0);
    expect(sequences(await take(stream, 10))).toEqual(range(1, 10));
    expect(events.listCalls).toEqual([{ after: 0, limit: REPLAY_PAGE_SIZE }]);
    log.append({ type: RoomEventType.ROOM_CLOSED });
    const rest = await drain(stream);
    expect(sequences(rest)).toEqual(range(11, 2_001));
    expect(rest.at(-1)?.type).toBe(RoomEventType.ROOM_CLOSED);
    expect(events.listCalls.length).toBeLessThanOrEqual(Math.ceil(2_000 / REPLAY_PAGE_SIZE) + 2);
  });

  test('a stream without `after` gets only what happens next and ends after ROOM_CLOSED', async () => {
    const { join, log } = setup();
    join(1);
    const stream = log.stream(null);
    join(2);
    log.append({ type: RoomEventType.ROOM_CLOSED });
    expect((await drain(stream)).map((event) => event.type)).toEqual([
      RoomEventType.PARTICIPANT_JOINED,
      RoomEventType.ROOM_CLOSED,
    ]);
  });

  test('a closed room read from the database alone replays its history and ends', async () => {
    const { join, log, events } = setup();
    for (let n = 1; n <= 3; n++) join(n);
    log.append({ type: RoomEventType.ROOM_CLOSED });
    await log.flush();
    const replay = await drain(storedEvents(events, 'r', 1));
    expect(sequences(replay)).toEqual([2, 3, 4]);
  });

  test('a full writer refuses loudly and says so in its status, it never blocks the room', async () => {
    const repositories = memoryRepositories();
    repositories.db.down = true;
    const writes = new BackgroundWrites();
    const log = new RoomEventLog('r', 0, repositories.events, writes, { ...policy, maxPending: 3 });
    for (let n = 1; n <= 5; n++)
      log.append({ type: RoomEventType.PARTICIPANT_JOINED, participantId: `p${n}` });
    expect(writes.status()).toMatchObject({ status: 'dropping', pending: 3, dropped: 2 });
    log.stop();
    expect(writes.size).toBe(0);
  });
});
