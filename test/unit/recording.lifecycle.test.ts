import { ConferenceService, type ConferenceOptions } from '../../src/conference/ConferenceService';
import { type RoomEvent, RoomEventType } from '../../src/conference/events';
import type { Participant } from '../../src/conference/Participant';
import type { TrackKind } from '../../src/conference/ports';
import { DomainError } from '../../src/shared/errors';
import { FakeMediaEngine, fakeSdp } from '../fakes/FakeMediaEngine';
import { memoryRepositories } from '../fakes/memoryRepositories';

const options: ConferenceOptions = {
  autoCreateRooms: true,
  defaultMaxParticipants: 16,
  maxRooms: 100_000,
  emptyRoomTimeoutMs: 0,
  participantTimeoutMs: 0,
  retryPolicy: { initialDelayMs: 50, maxDelayMs: 500, maxPending: 100_000, maxBatch: 100 },
};

const camera = (name: string): Record<string, Array<[string, TrackKind]>> => ({
  [`${name}-cam`]: [
    [`${name}-a`, 'audio'],
    [`${name}-v`, 'video'],
  ],
});

function setup() {
  const repositories = memoryRepositories();
  const media = new FakeMediaEngine();
  const conference = new ConferenceService(repositories, media, options, media);
  const join = async (roomId: string, name: string, streams = camera(name)) =>
    (await conference.join({ roomId, name, offer: fakeSdp(streams) })).participant;
  return { ...repositories, media, conference, join };
}

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

/** Answers any pending server offer, so the participant may offer itself. */
async function settle(conference: ConferenceService, participant: Participant): Promise<void> {
  for (let round = 0; round < 10; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    const pending = participant.pendingOffer;
    if (!pending) return;
    conference.answer(participant, pending.revision, 'v=0 answer');
  }
}

const types = (events: readonly RoomEvent[]) => events.map((event) => event.type);

describe('a room owns its recording', () => {
  test('everyone is recorded from the start or from their join; a leaver’s file ends first; stop is idempotent', async () => {
    const { conference, media, join, events, recordings } = setup();
    const ann = await join('r', 'ann');
    const ben = await join('r', 'ben');
    const started = await conference.recordings.start('r');
    expect(started.state).toBe('RECORDING');
    expect(
      media
        .openRecorders()
        .map((recorder) => recorder.streamId)
        .sort(),
    ).toEqual(['ann-cam', 'ben-cam']);
    // One file per stream, under <room>/<recording>/.
    expect(started.files.map((file) => file.path).sort()).toEqual(
      media.recorders.map((recorder) => recorder.path).sort(),
    );
    for (const file of started.files) expect(file.path).toBe(`r/${started.id}/${file.id}.mp4`);
    expect(await codeOf(conference.recordings.start('r'))).toBe('RECORDING_IN_PROGRESS');

    // Late joiner: recorded from the join. A receive-only joiner: nothing to record.
    const cat = await join('r', 'cat');
    await join('r', 'viewer', {});
    expect(
      media
        .openRecorders()
        .map((recorder) => recorder.streamId)
        .sort(),
    ).toEqual(['ann-cam', 'ben-cam', 'cat-cam']);

    // A leaver's recorder stops before its media (FakeStreamRecorder.stop fails after its peer closed).
    await conference.leave(ben);
    const benRecorder = media.recorders.find((recorder) => recorder.streamId === 'ben-cam')!;
    expect(benRecorder.stopped).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    const live = (await conference.recordings.ofRoom('r'))[0]!;
    expect(live.state).toBe('RECORDING');
    const benFile = live.files.find((file) => file.participantName === 'ben')!;
    expect(benFile.endedAt).not.toBeNull();
    expect(benFile.bytes).toBe(1000);
    expect(live.files.find((file) => file.participantName === 'cat')!.endedAt).toBeNull();

    // A stream unpublished by a re-offer ends its file; one published later gets a file.
    await settle(conference, cat);
    conference.renegotiate(cat, fakeSdp({ 'cat-screen': [['cat-s', 'video']] }));
    expect(media.recorders.find((recorder) => recorder.streamId === 'cat-cam')!.stopped).toBe(true);
    expect(
      media
        .openRecorders()
        .map((recorder) => recorder.streamId)
        .sort(),
    ).toEqual(['ann-cam', 'cat-screen']);

    const stopped = await conference.recordings.stop(started.id);
    expect(stopped.state).toBe('STOPPED');
    expect(stopped.endedAt).not.toBeNull();
    expect(stopped.files.map((file) => file.streamId).sort()).toEqual([
      'ann-cam',
      'ben-cam',
      'cat-cam',
      'cat-screen',
    ]);
    expect(stopped.files.every((file) => file.endedAt !== null)).toBe(true);
    expect(media.openRecorders()).toEqual([]);
    // Stopping again changes nothing and records no second event.
    expect(await conference.recordings.stop(started.id)).toEqual(stopped);
    expect(await codeOf(conference.recordings.stop('unknown'))).toBe('RECORDING_NOT_FOUND');
    await conference.flushEvents();
    const recorded = events.stored('r').filter((event) => event.type.startsWith('RECORDING_'));
    expect(recorded.map((event) => [event.type, event.recordingId])).toEqual([
      [RoomEventType.RECORDING_STARTED, started.id],
      [RoomEventType.RECORDING_STOPPED, started.id],
    ]);
    // What the database holds is what the room said.
    expect(await recordings.find(started.id)).toEqual(stopped);
    // The room can be recorded again.
    const next = await conference.recordings.start('r');
    expect(next.id).not.toBe(started.id);
    expect(
      media
        .openRecorders()
        .map((recorder) => recorder.streamId)
        .sort(),
    ).toEqual(['ann-cam', 'cat-screen']);
    void ann;
  });

  test('closing the room stops its recording before anyone leaves; ROOM_CLOSED stays last; nothing is left', async () => {
    const { conference, media, join, events } = setup();
    await join('c', 'dan');
    await join('c', 'eve');
    const recording = await conference.recordings.start('c');
    await Promise.all([conference.closeRoom('c'), conference.closeRoom('c').catch(() => undefined)]);
    expect(media.openRecorders()).toEqual([]);
    expect(media.openPeers()).toEqual([]);
    await conference.flushEvents();
    const stored = types(events.stored('c'));
    expect(stored.filter((type) => type === RoomEventType.RECORDING_STOPPED)).toHaveLength(1);
    expect(stored.indexOf(RoomEventType.RECORDING_STOPPED)).toBeLessThan(
      stored.indexOf(RoomEventType.PARTICIPANT_LEFT),
    );
    expect(stored.at(-1)).toBe(RoomEventType.ROOM_CLOSED);
    const [after] = await conference.recordings.ofRoom('c');
    expect(after!.id).toBe(recording.id);
    expect(after!.state).toBe('STOPPED');
    expect(after!.files.every((file) => file.endedAt !== null)).toBe(true);
    expect(await codeOf(conference.recordings.start('c'))).toBe('ROOM_CLOSED');
    expect(conference.registry.sizes()).toMatchObject({ rooms: 0, participants: 0 });
  });

  test('shutdown finalizes recordings; a recording a dead process left RECORDING is FAILED at the next start', async () => {
    const first = setup();
    await first.join('s', 'fay');
    const recording = await first.conference.recordings.start('s');
    await first.conference.shutdown();
    expect(first.media.openRecorders()).toEqual([]);
    expect((await first.recordings.find(recording.id))!.state).toBe('STOPPED');

    // A process that died: its recording is still RECORDING in the database.
    const { recordings, rooms } = first;
    await recordings.create({
      id: 'interrupted',
      roomId: 's',
      state: 'RECORDING',
      startedAt: new Date(),
      endedAt: null,
    });
    const media = new FakeMediaEngine();
    const restarted = new ConferenceService({ ...first, rooms, recordings }, media, options, media);
    await restarted.recover();
    expect((await restarted.recordings.find('interrupted')).state).toBe('FAILED');
    expect((await restarted.recordings.find(recording.id)).state).toBe('STOPPED');
    await restarted.shutdown();
  });

  test('a thousand recordings started and stopped while people come and go leave no recorder open', async () => {
    const { conference, media, join } = setup();
    const ann = await join('many', 'ann');
    for (let n = 0; n < 1000; n++) {
      const recording = await conference.recordings.start('many');
      const guest = await join('many', `guest-${n}`);
      if (n % 2 === 0) await conference.leave(guest);
      await conference.recordings.stop(recording.id);
      if (n % 2 === 1) await conference.leave(guest);
    }
    expect(media.openRecorders()).toEqual([]);
    expect(media.recorders).toHaveLength(2000);
    expect(conference.participantsOf('many')).toEqual([ann]);
    expect(await conference.recordings.ofRoom('many')).toHaveLength(1000);
    await conference.flushEvents();
    await new Promise((resolve) => setImmediate(resolve));
    expect(conference.recordings.retiring).toBe(0);
  });

  test('a database outage during a recording delays its history and loses none of it', async () => {
    const { conference, join, db, recordings, events } = setup();
    await join('o', 'ann');
    // A start the database cannot take is refused (it would be lost at a restart) and changes nothing.
    db.down = true;
    expect(await codeOf(conference.recordings.start('o'))).toMatch(/database unreachable/);
    db.down = false;
    const recording = await conference.recordings.start('o');
    db.writesDown = true;
    await join('o', 'ben');
    const stopped = await conference.recordings.stop(recording.id);
    expect(stopped.state).toBe('STOPPED');
    expect(stopped.files).toHaveLength(2);
    // Readers get the stopped recording from memory while the database is away.
    expect(await conference.recordings.ofRoom('o')).toEqual([stopped]);
    expect(await conference.recordings.find(recording.id)).toEqual(stopped);
    expect((await recordings.find(recording.id))!.state).toBe('RECORDING');
    db.writesDown = false;
    await conference.flushEvents();
    expect(await recordings.find(recording.id)).toEqual(stopped);
    expect(await conference.recordings.ofRoom('o')).toEqual([stopped]);
    const started = events.stored('o').filter((event) => event.type === RoomEventType.RECORDING_STARTED);
    expect(started.map((event) => event.recordingId)).toEqual([recording.id]);
  });

  test('a recording another node runs (in the database, not here) is not reported stopped', async () => {
    const { conference, recordings, join, events } = setup();
    await join('elsewhere', 'ann');
    await recordings.create({
      id: 'remote',
      roomId: 'elsewhere',
      state: 'RECORDING',
      startedAt: new Date(),
      endedAt: null,
    });
    expect(await codeOf(conference.recordings.stop('remote'))).toBe('SERVICE_UNAVAILABLE');
    expect((await recordings.find('remote'))!.state).toBe('RECORDING');
    // That node died and this one takes the room over: the recording is FAILED, the room is told.
    await conference.recordings.takenOver(conference.registry.live('elsewhere')!);
    expect((await recordings.find('remote'))!.state).toBe('FAILED');
    await conference.flushEvents();
    const stopped = events
      .stored('elsewhere')
      .filter((event) => event.type === RoomEventType.RECORDING_STOPPED);
    expect(stopped.map((event) => [event.recordingId, event.reason])).toEqual([['remote', 'FAILED']]);
  });

  test('without recording media the server says so', async () => {
    const repositories = memoryRepositories();
    const conference = new ConferenceService(repositories, new FakeMediaEngine(), options);
    await conference.join({ roomId: 'x', name: 'ann', offer: fakeSdp(camera('ann')) });
    expect(await codeOf(conference.recordings.start('x'))).toBe('SERVICE_UNAVAILABLE');
  });
});
