import type { Client } from 'graphql-ws';
import pg from 'pg';
import { TestParticipant } from '../helpers/participant';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/privatePostgres';
import { startTestServer, tracksOf, type TestServer } from '../helpers/server';

/**
 * PostgreSQL goes away for 10 s in the middle of a call. The call must not notice (joins, media,
 * mutes, leaves all go on), and once the database is back nothing of what happened meanwhile may be
 * missing from the room's history: every room event, stored with sequences 1..N without a gap, every
 * session with its end, and the call quality samples taken while the database was down.
 *
 * The database is a private cluster of this file (test/helpers/privatePostgres.ts), stopped and
 * started for real; everything is checked through the public API as a client would, plus the
 * RoomEvent rows in the database itself.
 */

const ROOM = 'outage';
const SAMPLE_INTERVAL_MS = 500;
const OUTAGE_MS = 10_000;
/** How long the server gets, once PostgreSQL is back, to store what it could not store before. */
const CATCH_UP_MS = 15_000;

interface RoomEventData {
  sequence: number;
  type: string;
  at: string;
  participantId: string | null;
  participantName: string | null;
  streamId: string | null;
  trackId: string | null;
  reason: string | null;
}
const EVENTS = `subscription ($room: ID!, $after: Int) {
  roomEvents(roomId: $room, after: $after) { sequence type at participantId participantName streamId trackId reason }
}`;
const MUTE = `mutation ($input: SetTrackMutedInput!) { setTrackMuted(input: $input) }`;

/** Every event one `roomEvents` subscription delivers, as they come. */
interface EventFollower {
  readonly events: RoomEventData[];
  readonly errors: unknown[];
  /** Resolves once `count` events arrived; rejects after `timeoutMs` with what came. */
  waitForCount(count: number, timeoutMs: number): Promise<void>;
  stop(): void;
}

function followEvents(client: Client, after: number | null): EventFollower {
  const events: RoomEventData[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe<{ roomEvents: RoomEventData }>(
    { query: EVENTS, variables: { room: ROOM, after } },
    {
      next: (value) => {
        if (value.errors) errors.push(value.errors);
        else if (value.data) events.push(value.data.roomEvents);
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return {
    events,
    errors,
    stop,
    async waitForCount(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count && errors.length === 0) {
        if (Date.now() > deadline) {
          throw new Error(`${events.length}/${count} room events after ${timeoutMs} ms: ${listed(events)}`);
        }
        await sleep(25);
      }
      if (errors.length > 0) throw new Error(`roomEvents failed: ${JSON.stringify(errors)}`);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// A timer may fire a millisecond before Date.now() reaches its deadline (libuv's clock and the
// wall clock round differently): CI once measured an outage of 9999 ms. Sleep until it has.
async function sleepUntil(deadline: number): Promise<void> {
  while (Date.now() < deadline) await sleep(deadline - Date.now());
}

/** Polls `probe` every 250 ms until it holds or `timeoutMs` passed; resolves with whether it held. */
async function eventually(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

/** Who owns which stream and track, to print events readably. */
const streamOwner = new Map<string, string>();
const trackLabel = new Map<string, string>();
const line = (event: RoomEventData): string =>
  [
    event.sequence,
    event.type,
    event.participantName ?? '-',
    event.streamId && `stream:${streamOwner.get(event.streamId) ?? event.streamId}`,
    event.trackId && `track:${trackLabel.get(event.trackId) ?? event.trackId}`,
    event.reason && `reason:${event.reason}`,
  ]
    .filter((part) => part !== null && part !== undefined && part !== '')
    .join(' ');
const listed = (events: RoomEventData[]) => JSON.stringify(events.map(line));

/**
 * What this call is, event by event, as every subscriber sees it live (checked first, on today's
 * code too): 1-2 before the outage, 3-10 while PostgreSQL is down, 11-12 once it is back.
 */
const THE_CALL = [
  '1 PARTICIPANT_JOINED ann',
  '2 STREAM_PUBLISHED ann stream:ann',
  '3 PARTICIPANT_JOINED ben',
  '4 STREAM_PUBLISHED ben stream:ben',
  '5 TRACK_MUTED ann stream:ann track:ann/AUDIO reason:PUBLISHER',
  '6 TRACK_UNMUTED ann stream:ann track:ann/AUDIO reason:PUBLISHER',
  '7 PARTICIPANT_JOINED cat',
  '8 STREAM_PUBLISHED cat stream:cat',
  '9 STREAM_UNPUBLISHED cat stream:cat',
  '10 PARTICIPANT_LEFT cat reason:LEFT',
  '11 TRACK_MUTED ben stream:ben track:ben/VIDEO reason:PUBLISHER',
  '12 TRACK_UNMUTED ben stream:ben track:ben/VIDEO reason:PUBLISHER',
];

describe('a PostgreSQL outage during a call', () => {
  let cluster: PrivatePostgres;
  let server: TestServer;
  let live: EventFollower;
  let ann: TestParticipant;
  let ben: TestParticipant;
  let cat: TestParticipant;
  const people: TestParticipant[] = [];
  /** Wall-clock times (ms) of the outage and of what happened in it; the server runs in this process. */
  const at = { outageStart: 0, outageEnd: 0, benJoined: 0 };

  const db = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const health = async () => {
    const response = await fetch(`${server.url}/healthz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const join = async (name: string) => {
    const participant = await TestParticipant.join(server, ROOM, name);
    people.push(participant);
    streamOwner.set(participant.peer.streamId, name);
    for (const track of await tracksOf(server, ROOM)) {
      trackLabel.set(track.id, `${track.participant}/${track.kind}`);
    }
    return participant;
  };
  const trackOf = async (participant: TestParticipant, kind: 'AUDIO' | 'VIDEO') => {
    const track = (await tracksOf(server, ROOM)).find(
      (candidate) => candidate.participant === participant.name && candidate.kind === kind,
    );
    if (!track) throw new Error(`${participant.name} publishes no ${kind} track`);
    return track.id;
  };
  const setMuted = (participant: TestParticipant, trackId: string, muted: boolean) =>
    server.gql(MUTE, { input: { participantId: participant.id, trackId, muted } }, participant.auth);
  const packets = (receiver: TestParticipant, sender: TestParticipant) => {
    const counts = receiver.peer.received(sender.peer.streamId);
    return { audio: counts.audio, video: counts.video };
  };
  /** Waits until ann gets more of ben's audio and video and ben more of ann's (packets arriving now). */
  const expectMediaFlowing = async (what: string) => {
    const before = { benFromAnn: packets(ben, ann), annFromBen: packets(ann, ben) };
    const grew = () => {
      const now = { benFromAnn: packets(ben, ann), annFromBen: packets(ann, ben) };
      return (
        now.benFromAnn.audio > before.benFromAnn.audio + 10 &&
        now.benFromAnn.video > before.benFromAnn.video + 3 &&
        now.annFromBen.audio > before.annFromBen.audio + 10 &&
        now.annFromBen.video > before.annFromBen.video + 3
      );
    };
    await ann.peer.waitFor(grew, 5000, `ann and ben receiving each other's audio and video (${what})`);
  };

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    server = await startTestServer({
      env: { DATABASE_URL: cluster.url, QUALITY_SAMPLE_INTERVAL_MS: String(SAMPLE_INTERVAL_MS) },
    });
    const created = await server.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`, {
      id: ROOM,
    });
    expect(created.errors).toBeUndefined();
    // A subscriber that follows the room from its start: what it gets live is the call as it happened.
    live = followEvents(server.ws(), 0);
    await sleep(200);

    ann = await join('ann');
    await ann.peer.waitFor(() => ann.peer.connectionState === 'connected', 10_000, 'ann connected');
    // The server receives ann's media, and ann's events and session are stored: the call is in
    // progress with its history intact when PostgreSQL goes away.
    await live.waitForCount(2, 5000);
    const stored = await eventually(async () => {
      const [events] = await db<{ count: number }>(
        'SELECT count(*)::int AS count FROM room_events WHERE room_id = $1',
        [ROOM],
      );
      const sessions = await db('SELECT id FROM participant_sessions WHERE id = $1', [ann.id]);
      return events?.count === 2 && sessions.length === 1;
    }, 5000);
    expect(stored).toBe(true);
    const inbound = await eventually(async () => {
      const response = await server.gql<{
        room: { participants: Array<{ stats: { inbound: Array<{ packets: number }> } | null }> };
      }>(`query ($id: ID!) { room(id: $id) { participants { stats { inbound { packets } } } } }`, {
        id: ROOM,
      });
      const tracks = response.data?.room.participants[0]?.stats?.inbound ?? [];
      return tracks.length === 2 && tracks.every((track) => track.packets > 5);
    }, 10_000);
    expect(inbound).toBe(true);
  }, 60_000);

  afterAll(async () => {
    live?.stop();
    for (const participant of people) {
      await participant.leave().catch(() => participant.close());
    }
    await server?.dispose().catch((error: unknown) => console.error('server dispose failed', error));
    await cluster?.dispose();
  }, 30_000);

  test('while PostgreSQL is down for 10 s the call goes on: ben joins and publishes, ann mutes and unmutes, cat joins and leaves, media flows both ways, /healthz says the database is unreachable', async () => {
    await cluster.stop();
    at.outageStart = Date.now();
    try {
      expect(await health()).toMatchObject({
        status: 503,
        body: { status: 'degraded', database: { status: 'unreachable', kind: 'postgresql' } },
      });

      // Joining, negotiating, receiving media: none of it needs the database.
      ben = await join('ben');
      at.benJoined = Date.now();
      await ben.waitForMediaFrom([ann]);
      await ann.waitForMediaFrom([ben]);

      const annAudio = await trackOf(ann, 'AUDIO');
      expect((await setMuted(ann, annAudio, true)).data).toEqual({ setTrackMuted: true });
      await live.waitForCount(5, 5000);
      expect((await setMuted(ann, annAudio, false)).data).toEqual({ setTrackMuted: true });
      await live.waitForCount(6, 5000);

      cat = await join('cat');
      await cat.waitForMediaFrom([ann, ben]);
      await cat.leave();
      await live.waitForCount(10, 5000);

      const room = await server.gql<{ room: { open: boolean; participants: Array<{ name: string }> } }>(
        `query ($id: ID!) { room(id: $id) { open participants { name } } }`,
        { id: ROOM },
      );
      expect(room.data?.room).toEqual({ open: true, participants: [{ name: 'ann' }, { name: 'ben' }] });

      // Media keeps flowing for the rest of the outage (ann's audio again, after her unmute).
      await expectMediaFlowing('during the outage');
      await sleep(Math.max(0, at.outageStart + OUTAGE_MS - Date.now() - 1500));
      await expectMediaFlowing('at the end of the outage');
      expect(await health()).toMatchObject({ status: 503, body: { database: { status: 'unreachable' } } });
      for (const participant of [ann, ben, cat]) expect(participant.errors).toEqual([]);
      await sleepUntil(at.outageStart + OUTAGE_MS);
    } finally {
      at.outageEnd = Date.now();
      await cluster.start();
    }
    expect(at.outageEnd - at.outageStart).toBeGreaterThanOrEqual(OUTAGE_MS);
  }, 45_000);

  test('PostgreSQL back: /healthz is ok again, and the call goes on (ben mutes and unmutes his video)', async () => {
    const healthy = await eventually(async () => (await health()).status === 200, 10_000);
    expect(healthy).toBe(true);
    expect(await health()).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ok', database: { status: 'ok', kind: 'postgresql' } }),
    });

    // A bounded time to catch up: everything the outage produced is in the database.
    const outageEvents = live.events.length;
    await eventually(async () => {
      const [events] = await db<{ count: number }>(
        'SELECT count(*)::int AS count FROM room_events WHERE room_id = $1',
        [ROOM],
      );
      const sessions = await db<{ left_at: Date | null }>(
        'SELECT left_at FROM participant_sessions WHERE room_id = $1',
        [ROOM],
      );
      const [samples] = await db<{ count: number }>(
        'SELECT count(*)::int AS count FROM quality_samples WHERE participant_id = $1 AND at BETWEEN $2 AND $3',
        [ben.id, new Date(at.benJoined), new Date(at.outageEnd)],
      );
      return (
        events?.count === outageEvents &&
        sessions.length === 3 &&
        sessions.filter((session) => session.left_at !== null).length === 1 &&
        (samples?.count ?? 0) > 0
      );
    }, CATCH_UP_MS);

    const benVideo = await trackOf(ben, 'VIDEO');
    expect((await setMuted(ben, benVideo, true)).data).toEqual({ setTrackMuted: true });
    expect((await setMuted(ben, benVideo, false)).data).toEqual({ setTrackMuted: true });
    await live.waitForCount(12, 5000);
    // A bounded wait for these two to be stored as well (they come after the backlog, if any).
    await eventually(async () => {
      const [row] = await db<{ max: number | null }>(
        'SELECT max(sequence) AS max FROM room_events WHERE room_id = $1',
        [ROOM],
      );
      return row?.max === live.events.length;
    }, 5000);

    // What the live subscriber saw is the call as it happened: the reference for the history.
    expect(live.events.map(line)).toEqual(THE_CALL);
    expect(live.errors).toEqual([]);
  }, 45_000);

  test('roomEvents(after: 0) replays every event of the call, in order, with sequences 1..N: those of the outage included', async () => {
    const replay = followEvents(server.ws(), 0);
    try {
      await replay.waitForCount(THE_CALL.length, 5000).catch(() => undefined);
      await sleep(500); // nothing more (no duplicate) may follow
      expect(replay.errors).toEqual([]);
      expect(replay.events.map(line)).toEqual(THE_CALL);
      expect(replay.events).toEqual(live.events);
    } finally {
      replay.stop();
    }
  });

  test('the RoomEvent rows in PostgreSQL are numbered 1..N without a gap', async () => {
    const rows = await db<{ sequence: number; type: string; participant_name: string | null }>(
      'SELECT sequence, type, participant_name FROM room_events WHERE room_id = $1 ORDER BY sequence',
      [ROOM],
    );
    expect(rows.map((row) => row.sequence)).toEqual(THE_CALL.map((_, index) => index + 1));
    expect(rows.map((row) => `${row.sequence} ${row.type} ${row.participant_name ?? '-'}`)).toEqual(
      THE_CALL.map((event) => event.split(' ').slice(0, 3).join(' ')),
    );
  });

  test("room.sessions has ann's, ben's and cat's stays, cat's with its end (LEFT)", async () => {
    const response = await server.gql<{
      room: {
        sessions: Array<{
          id: string;
          displayName: string;
          joinedAt: string;
          leftAt: string | null;
          leaveReason: string | null;
        }>;
      };
    }>(`query ($id: ID!) { room(id: $id) { sessions { id displayName joinedAt leftAt leaveReason } } }`, {
      id: ROOM,
    });
    expect(response.errors).toBeUndefined();
    const when = (iso: string | null) => {
      if (iso === null) return null;
      const time = Date.parse(iso);
      if (time < at.outageStart) return 'before the outage';
      return time <= at.outageEnd ? 'during the outage' : 'after the outage';
    };
    expect(
      response.data?.room.sessions.map((session) => ({
        id: session.id,
        displayName: session.displayName,
        joined: when(session.joinedAt),
        left: when(session.leftAt),
        leaveReason: session.leaveReason,
      })),
    ).toEqual([
      { id: ann.id, displayName: 'ann', joined: 'before the outage', left: null, leaveReason: null },
      { id: ben.id, displayName: 'ben', joined: 'during the outage', left: null, leaveReason: null },
      {
        id: cat.id,
        displayName: 'cat',
        joined: 'during the outage',
        left: 'during the outage',
        leaveReason: 'LEFT',
      },
    ]);
  });

  test("ben's quality history covers the outage: a sample at least every 2 s of his time in it, with his media", async () => {
    const response = await server.gql<{
      room: {
        participants: Array<{ id: string; qualityHistory: Array<{ at: string; bitrateIn: number }> }>;
      };
    }>(
      `query ($id: ID!) { room(id: $id) { participants { id qualityHistory(last: 200) { at bitrateIn } } } }`,
      {
        id: ROOM,
      },
    );
    expect(response.errors).toBeUndefined();
    const history = response.data!.room.participants.find(
      (participant) => participant.id === ben.id,
    )!.qualityHistory;
    const during = history.filter((sample) => {
      const time = Date.parse(sample.at);
      return time >= at.benJoined && time <= at.outageEnd;
    });
    // Every 2 s slice of ben's time in the outage (past his first second, to the end) has a sample.
    const uncovered: string[] = [];
    for (let from = at.benJoined + 1000; from + 2000 <= at.outageEnd; from += 2000) {
      const covered = during.some((sample) => {
        const time = Date.parse(sample.at);
        return time >= from && time < from + 2000;
      });
      if (!covered) {
        uncovered.push(`+${(from - at.benJoined) / 1000} s to +${(from + 2000 - at.benJoined) / 1000} s`);
      }
    }
    expect(uncovered).toEqual([]);
    const expected = Math.floor((at.outageEnd - at.benJoined) / SAMPLE_INTERVAL_MS / 2);
    expect(during.length).toBeGreaterThanOrEqual(expected);
    expect(during.filter((sample) => sample.bitrateIn > 0).length).toBeGreaterThanOrEqual(expected / 2);
  });

  test('media still flows after the outage', async () => {
    await expectMediaFlowing('after the outage');
    for (const participant of [ann, ben]) expect(participant.errors).toEqual([]);
  });
});
