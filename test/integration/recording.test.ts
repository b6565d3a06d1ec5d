import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AccessTokens } from '../../src/access/AccessTokens';
import { readMp4 } from '../helpers/mp4';
import { TestParticipant } from '../helpers/participant';
import { ensureBuilt, exited, listening, startServer } from '../helpers/process';
import { collect, graphqlEndpoint, POSTGRES_URL, startTestServer, type TestServer } from '../helpers/server';

/** Recording a call of real WebRTC peers (werift) to MP4 files, downloading them, across a restart. */
const API_KEY = 'recording-key';
const API_SECRET = 'recording-secret-0123456789abcdef01234567';
const tokens = new AccessTokens(API_KEY, API_SECRET);
const joinToken = (room: string, identity: string, grants = {}) =>
  tokens.mintJoinToken({ room, identity, name: identity, grants });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = bearer(tokens.mintAdminToken());

type File = {
  id: string;
  participant: { id: string; name: string };
  bytes: number;
  url: string;
  startedAt: string;
  endedAt: string | null;
};
type Recording = { id: string; state: string; startedAt: string; endedAt: string | null; files: File[] };
const FIELDS = `id state startedAt endedAt files { id participant { id name } bytes url startedAt endedAt }`;
const START = `mutation ($room: ID!) { startRecording(roomId: $room) { ${FIELDS} } }`;
const STOP = `mutation ($id: ID!) { stopRecording(id: $id) { ${FIELDS} } }`;
const RECORDINGS = `query ($room: ID!) { room(id: $room) { recordings { ${FIELDS} } } }`;
const EVENTS = `subscription ($room: ID!) { roomEvents(roomId: $room, after: 0) { sequence type recordingId participantName } }`;
type Event = { roomEvents: { sequence: number; type: string; recordingId: string | null } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const code = (response: { errors?: Array<{ extensions?: { code?: string } }> }) =>
  response.errors?.[0]?.extensions?.code;

/** Every stored event of the room (the replay, read until it goes quiet). */
async function storedEvents(server: TestServer, room: string): Promise<Event['roomEvents'][]> {
  const events = await collect<Event>(server.ws(admin), EVENTS, { room }, 1000, 2000).values.catch(
    (error: Error) => JSON.parse(error.message.replace(/^timed out with \d+\/\d+ values: /, '')) as Event[],
  );
  return events.map((event) => event.roomEvents);
}

async function metric(server: TestServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: admin })).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

async function download(server: TestServer, url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${url}`, { headers });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

const databases: Array<[string, string | undefined]> = [
  ['the embedded default', undefined],
  ...(POSTGRES_URL ? [['PostgreSQL', POSTGRES_URL] as [string, string]] : []),
];

describe.each(databases)('recording on %s', (_name, databaseUrl) => {
  const env: Record<string, string> = {
    API_KEY,
    API_SECRET,
    ...(databaseUrl && { DATABASE_URL: `${databaseUrl}?schema=recording_${process.pid}` }),
  };
  let server: TestServer;
  const people: TestParticipant[] = [];
  const join = async (room: string, identity: string, grants = {}) => {
    const participant = await TestParticipant.join(server, room, identity, {
      joinToken: joinToken(room, identity, grants),
    });
    people.push(participant);
    return participant;
  };

  beforeAll(async () => {
    server = await startTestServer({ env });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(people.map((participant) => participant.close().catch(() => undefined)));
    await server?.dispose();
  });

  test('a two-person call recorded: one MP4 per person with audio and video of the recorded length, a late joiner from their join, downloads for moderators only, kept after a restart', async () => {
    const room = 'recorded';
    const moderator = bearer(joinToken(room, 'mod', { roomAdmin: true, canPublish: false }));
    const ann = await join(room, 'ann');
    const ben = await join(room, 'ben');
    await Promise.all([ann.waitForMediaFrom([ben]), ben.waitForMediaFrom([ann])]);

    // Only moderators start recordings.
    expect(code(await server.gql(START, { room }, ann.auth))).toBe('FORBIDDEN');
    expect(code(await server.gql(START, { room }))).toBe('UNAUTHENTICATED');

    const started = await server.gql<{ startRecording: Recording }>(START, { room }, moderator);
    expect(started.errors).toBeUndefined();
    const recording = started.data!.startRecording;
    expect(recording.state).toBe('RECORDING');
    // Media made during the recording, in seconds: on a loaded machine the peers' send timers fall
    // behind the clock, so lengths are checked against what they sent as well as the wall clock.
    const sentAtStart = {
      ann: [ann.peer.videoSecondsSent, ann.peer.audioSecondsSent],
      ben: [ben.peer.videoSecondsSent, ben.peer.audioSecondsSent],
    };
    const startedAt = Date.now();
    expect(code(await server.gql(START, { room }, moderator))).toBe('RECORDING_IN_PROGRESS');

    await sleep(2000);
    // Someone who joins during the recording is recorded from their join.
    const cat = await join(room, 'cat');
    await cat.waitForMediaFrom([ann]);
    const live = await server.gql<{ room: { recordings: Recording[] } }>(RECORDINGS, { room }, ann.auth);
    expect(live.data!.room.recordings).toHaveLength(1);
    expect(live.data!.room.recordings[0]!.state).toBe('RECORDING');
    expect(live.data!.room.recordings[0]!.files.map((file) => file.participant.name).sort()).toEqual([
      'ann',
      'ben',
      'cat',
    ]);
    expect(await metric(server, 'sfu_recordings_active')).toBe(1);
    expect(await metric(server, 'sfu_recording_files_open')).toBe(3);
    // A file still being written is not served (its MP4 index comes at the end).
    const open = live.data!.room.recordings[0]!.files[0]!;
    expect((await download(server, open.url, admin)).status).toBe(409);

    await sleep(1500);
    // Someone who leaves mid-recording has their file finalized; the server carries on.
    const benSent = [ben.peer.videoSecondsSent, ben.peer.audioSecondsSent];
    await ben.leave();
    const benLeftAt = Date.now();
    await sleep(1500);

    const stopped = await server.gql<{ stopRecording: Recording }>(STOP, { id: recording.id }, moderator);
    expect(stopped.errors).toBeUndefined();
    const sentAtStop = {
      ann: [ann.peer.videoSecondsSent, ann.peer.audioSecondsSent],
      cat: [cat.peer.videoSecondsSent, cat.peer.audioSecondsSent],
    };
    const stoppedAt = Date.now();
    const result = stopped.data!.stopRecording;
    expect(result.state).toBe('STOPPED');
    expect(result.endedAt).not.toBeNull();
    expect(result.files.map((file) => file.participant.name).sort()).toEqual(['ann', 'ben', 'cat']);
    for (const file of result.files) {
      expect(file.endedAt).not.toBeNull();
      expect(file.url).toBe(`/recordings/${recording.id}/${file.id}.mp4`);
    }
    expect(await metric(server, 'sfu_recordings_active')).toBe(0);
    expect(await metric(server, 'sfu_recording_files_open')).toBe(0);
    // Stopping again returns it as it is; an unknown id is RECORDING_NOT_FOUND.
    const again = await server.gql<{ stopRecording: Recording }>(STOP, { id: recording.id }, moderator);
    expect(again.data!.stopRecording).toEqual(result);
    expect(code(await server.gql(STOP, { id: 'no-such-recording' }, moderator))).toBe('RECORDING_NOT_FOUND');
    const wrongRoom = `mutation ($id: ID!) { stopRecording(id: $id, roomId: "elsewhere") { id } }`;
    expect(code(await server.gql(wrongRoom, { id: recording.id }, admin))).toBe('RECORDING_NOT_FOUND');

    const fileOf = (name: string) => result.files.find((file) => file.participant.name === name)!;
    // [video, audio] seconds sent during the recording.
    const sent: Record<string, number[]> = {
      ann: [0, 1].map((i) => sentAtStop.ann[i]! - sentAtStart.ann[i]!),
      ben: [0, 1].map((i) => benSent[i]! - sentAtStart.ben[i]!),
      // Cat was recorded from his join, when his peer began making media.
      cat: sentAtStop.cat,
    };
    const wall: Record<string, number> = {
      ann: (stoppedAt - startedAt) / 1000,
      ben: (benLeftAt - startedAt) / 1000,
      cat: (stoppedAt - Date.parse(fileOf('cat').startedAt)) / 1000,
    };
    for (const name of ['ann', 'ben', 'cat']) {
      const file = fileOf(name);
      const { status, body } = await download(server, file.url, moderator);
      expect(status).toBe(200);
      expect(body.length).toBe(file.bytes);
      expect(body.toString('latin1', 4, 8)).toBe('ftyp');
      const mp4 = readMp4(body);
      expect(mp4.topLevel[0]).toBe('ftyp');
      const kinds = mp4.tracks.map((track) => `${track.kind}:${track.codec}`).sort();
      expect(kinds).toEqual(['audio:Opus', 'video:vp08']);
      // The recorded length. On a loaded machine the peers' send timers fall behind the clock, so a
      // file holds what was sent: video frames (15 a second) by their timestamps, and audio as one
      // 20 ms Opus frame per sample (medooze stretches the audio track's duration to the clock at
      // close, its clock drift correction, so that duration is not a measure). The movie's duration
      // lies between what was sent and the wall clock.
      const [videoSent, audioSent] = sent[name]!;
      expect(videoSent).toBeGreaterThan(2);
      const video = mp4.tracks.find((track) => track.kind === 'video')!;
      const audio = mp4.tracks.find((track) => track.kind === 'audio')!;
      const figures = { name, sent: sent[name], wall: wall[name], movie: mp4.durationSeconds, video, audio };
      expect({ ...figures, videoOk: Math.abs(video.durationSeconds - videoSent!) < 1 }).toMatchObject({
        videoOk: true,
      });
      expect({ ...figures, audioOk: Math.abs(audio.samples * 0.02 - audioSent!) < 1 }).toMatchObject({
        audioOk: true,
      });
      expect({
        ...figures,
        movieOk:
          mp4.durationSeconds > Math.min(videoSent!, audioSent!) - 1.5 &&
          mp4.durationSeconds < wall[name]! + 1,
      }).toMatchObject({ movieOk: true });
      for (const track of mp4.tracks) expect(track.samples).toBeGreaterThan(10);
    }

    // Downloads: a moderator or the application; not the others, not without a token.
    const url = fileOf('ann').url;
    expect((await download(server, url)).status).toBe(401);
    expect((await download(server, url, bearer('not-a-token'))).status).toBe(401);
    expect((await download(server, url, ann.auth)).status).toBe(403);
    expect(
      (await download(server, url, bearer(joinToken('elsewhere', 'x', { roomAdmin: true })))).status,
    ).toBe(403);
    expect((await download(server, url, admin)).status).toBe(200);
    const viaQuery = await download(server, `${url}?access_token=${moderator.authorization.slice(7)}`);
    expect(viaQuery.status).toBe(200);
    expect((await download(server, `/recordings/${recording.id}/nope.mp4`, admin)).status).toBe(404);

    // The room's event log has both, with the recording's id (replays and webhooks carry them).
    const events = await storedEvents(server, room);
    const recordingEvents = events.filter((event) => event.type.startsWith('RECORDING_'));
    expect(recordingEvents).toEqual([
      expect.objectContaining({ type: 'RECORDING_STARTED', recordingId: recording.id }),
      expect.objectContaining({ type: 'RECORDING_STOPPED', recordingId: recording.id }),
    ]);

    // A second recording, ended by a server shutdown: its files are finalized too.
    const second = (await server.gql<{ startRecording: Recording }>(START, { room }, admin)).data!
      .startRecording;
    await sleep(1500);
    await Promise.all(people.splice(0).map((participant) => participant.close()));
    const dataDir = server.dataDir;
    await server.stop();
    server = await startTestServer({ env, dataDir });
    const after = await server.gql<{ room: { recordings: Recording[] } }>(RECORDINGS, { room }, admin);
    expect(after.errors).toBeUndefined();
    const [first, last] = after.data!.room.recordings;
    expect(first).toEqual(result);
    expect(last!.id).toBe(second.id);
    expect(last!.state).toBe('STOPPED');
    expect(last!.files.map((file) => file.participant.name).sort()).toEqual(['ann', 'cat']);
    for (const file of last!.files) {
      expect(file.endedAt).not.toBeNull();
      const mp4 = readMp4((await download(server, file.url, admin)).body);
      expect(mp4.tracks.map((track) => track.kind).sort()).toEqual(['audio', 'video']);
      expect(mp4.durationSeconds).toBeGreaterThan(0.5);
    }
    expect(existsSync(path.join(dataDir, 'recordings', room, second.id))).toBe(true);
  }, 90_000);

  test('closing the room stops its recording first; a stream stopped by a re-offer and a vanished peer have their files finalized; nothing crashes', async () => {
    const room = 'closing';
    const dan = await join(room, 'dan');
    const eve = await join(room, 'eve');
    const gil = await join(room, 'gil');
    await eve.waitForMediaFrom([dan, gil]);
    const recording = (await server.gql<{ startRecording: Recording }>(START, { room }, admin)).data!
      .startRecording;
    await sleep(1000);

    // Gil's machine goes away mid-recording (no leave): the server removes him and ends his file.
    await gil.close();
    const present = async () =>
      (
        await server.gql<{ room: { participants: Array<{ name: string }> } }>(
          `query ($id: ID!) { room(id: $id) { participants { name } } }`,
          { id: room },
          admin,
        )
      ).data!.room.participants.map((participant) => participant.name);
    for (let waited = 0; (await present()).includes('gil') && waited < 15_000; waited += 250)
      await sleep(250);
    expect(await present()).not.toContain('gil');
    const gilsFile = (
      await server.gql<{ room: { recordings: Recording[] } }>(RECORDINGS, { room }, admin)
    ).data!.room.recordings[0]!.files.find((file) => file.participant.name === 'gil')!;
    expect(gilsFile.endedAt).not.toBeNull();

    // Dan adds a second camera during the recording, then stops it: its own file, finalized.
    const extra = dan.peer.addExtraVideo();
    await clientOffer(server, dan);
    await eve.peer.waitFor(() => eve.peer.received(extra).video > 10, 10_000, 'the second camera');
    await sleep(1000);
    dan.peer.stopExtraVideo(extra);
    await clientOffer(server, dan);
    await eve.peer.waitFor(() => !eve.peer.remoteStreamIds().includes(extra), 10_000, 'camera gone');
    await sleep(500);

    const closed = await server.gql(
      `mutation ($id: ID!) { closeRoom(id: $id) { id open } }`,
      { id: room },
      admin,
    );
    expect(closed.errors).toBeUndefined();
    const after = await server.gql<{ room: { recordings: Recording[] } }>(RECORDINGS, { room }, admin);
    const [stopped] = after.data!.room.recordings;
    expect(stopped!.id).toBe(recording.id);
    expect(stopped!.state).toBe('STOPPED');
    expect(stopped!.files.map((file) => file.participant.name).sort()).toEqual(['dan', 'dan', 'eve', 'gil']);
    for (const file of stopped!.files) {
      expect(file.endedAt).not.toBeNull();
      const mp4 = readMp4((await download(server, file.url, admin)).body);
      expect(mp4.tracks.some((track) => track.kind === 'video')).toBe(true);
    }
    const types = (await storedEvents(server, room)).map((event) => event.type);
    expect(types.indexOf('RECORDING_STOPPED')).toBeGreaterThan(types.indexOf('RECORDING_STARTED'));
    // Dan and Eve left with the room, after the recording stopped (Gil long before).
    const afterStop = types.slice(types.indexOf('RECORDING_STOPPED'));
    expect(afterStop.filter((type) => type === 'PARTICIPANT_LEFT')).toHaveLength(2);
    expect(types.at(-1)).toBe('ROOM_CLOSED');
    // Nothing of the room is left in medooze.
    expect(server.app.media.nativeObjects()).toEqual({
      transports: 0,
      incomingStreams: 0,
      outgoingStreams: 0,
    });
  }, 60_000);
});

describe('a server killed while recording', () => {
  test('after SIGKILL the recording is FAILED at the next start; its files are listed and served as they were left', async () => {
    ensureBuilt();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sfu-rec-kill-'));
    const child = startServer({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const first = graphqlEndpoint(await listening(child));
    const hal = await TestParticipant.join(first, 'killed', 'hal');
    const ida = await TestParticipant.join(first, 'killed', 'ida');
    await ida.waitForMediaFrom([hal]);
    const recording = (await first.gql<{ startRecording: Recording }>(START, { room: 'killed' })).data!
      .startRecording;
    await sleep(1500);
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    await Promise.all([hal.close(), ida.close(), first.disconnect()]);

    const server = await startTestServer({ dataDir });
    try {
      const after = await server.gql<{ room: { recordings: Recording[] } }>(RECORDINGS, { room: 'killed' });
      const [failed] = after.data!.room.recordings;
      expect(failed).toMatchObject({ id: recording.id, state: 'FAILED' });
      expect(failed!.endedAt).not.toBeNull();
      expect(failed!.files.map((file) => file.participant.name).sort()).toEqual(['hal', 'ida']);
      for (const file of failed!.files) {
        expect(file.endedAt).toBeNull();
        const { status, body } = await download(server, file.url);
        expect(status).toBe(200);
        // What medooze wrote before the kill: the header and media, but no index (moov comes at close).
        expect(body.toString('latin1', 4, 8)).toBe('ftyp');
        expect(body.length).toBe(
          statSync(path.join(dataDir, 'recordings', 'killed', recording.id, `${file.id}.mp4`)).size,
        );
        expect(() => readMp4(body)).toThrow(/no moov/);
      }
      // The room records again.
      expect(
        (await server.gql<{ startRecording: Recording }>(START, { room: 'killed' })).errors,
      ).toBeUndefined();
    } finally {
      await server.dispose();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('recording downloads in open mode', () => {
  let server: TestServer;
  const people: TestParticipant[] = [];
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await Promise.all(people.map((participant) => participant.close()));
    await server.dispose();
  });

  test('anyone the origin rules let in may download; another web origin may not', async () => {
    people.push(
      await TestParticipant.join(server, 'open', 'fay'),
      await TestParticipant.join(server, 'open', 'gus'),
    );
    await people[1]!.waitForMediaFrom([people[0]!]);
    const recording = (await server.gql<{ startRecording: Recording }>(START, { room: 'open' })).data!
      .startRecording;
    await sleep(1500);
    const stopped = (await server.gql<{ stopRecording: Recording }>(STOP, { id: recording.id })).data!
      .stopRecording;
    const url = stopped.files[0]!.url;
    const own = await download(server, url);
    expect(own.status).toBe(200);
    expect(
      readMp4(own.body)
        .tracks.map((track) => track.kind)
        .sort(),
    ).toEqual(['audio', 'video']);
    expect((await download(server, url, { origin: 'https://evil.example' })).status).toBe(403);
  }, 30_000);

  test('a VP9 room is recorded as VP9 (no transcoding)', async () => {
    await server.gql(`mutation { createRoom(input: { id: "vp9", videoCodec: VP9 }) { id } }`);
    const [jon, kim] = [
      await TestParticipant.join(server, 'vp9', 'jon', { videoCodec: 'VP9' }),
      await TestParticipant.join(server, 'vp9', 'kim', { videoCodec: 'VP9' }),
    ];
    people.push(jon, kim);
    await kim.waitForMediaFrom([jon]);
    const recording = (await server.gql<{ startRecording: Recording }>(START, { room: 'vp9' })).data!
      .startRecording;
    await sleep(2000);
    const stopped = (await server.gql<{ stopRecording: Recording }>(STOP, { id: recording.id })).data!
      .stopRecording;
    expect(stopped.files).toHaveLength(2);
    for (const file of stopped.files) {
      const mp4 = readMp4((await download(server, file.url)).body);
      expect(mp4.tracks.map((track) => `${track.kind}:${track.codec}`).sort()).toEqual([
        'audio:Opus',
        'video:vp09',
      ]);
      expect(mp4.tracks.find((track) => track.kind === 'video')!.samples).toBeGreaterThan(5);
    }
  }, 30_000);
});

const RENEGOTIATE = `mutation ($input: RenegotiateInput!) { renegotiate(input: $input) { answer revision } }`;

/** A client offer, yielding to a pending server offer (docs/signaling.md). */
async function clientOffer(server: TestServer, participant: TestParticipant): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    await participant.settled();
    const offer = await participant.peer.createOffer();
    const response = await server.gql<{ renegotiate: { answer: string } }>(
      RENEGOTIATE,
      { input: { participantId: participant.id, offer } },
      participant.auth,
    );
    if (response.data) return participant.peer.acceptAnswer(response.data.renegotiate.answer);
    if (code(response) !== 'NEGOTIATION_CONFLICT') throw new Error(JSON.stringify(response.errors));
    await participant.peer.rollback();
    await sleep(50);
  }
  throw new Error('renegotiation kept conflicting');
}
