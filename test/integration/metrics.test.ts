import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Parses Prometheus' text exposition format strictly enough to fail on anything malformed
 * (values as Go's ParseFloat reads them: NaN and Inf in any case).
 */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const match =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?(?:[0-9.]+(?:e[-+]?\d+)?|nan|\+inf|-inf))$/i.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

describe('GET /metrics', () => {
  let server: TestServer;
  const people: TestParticipant[] = [];
  beforeAll(async () => {
    server = await startTestServer({ env: { QUALITY_SAMPLE_INTERVAL_MS: '300' } });
  });
  afterAll(async () => {
    await Promise.all(people.map((participant) => participant.close()));
    await server.dispose();
  });

  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return parseMetrics(await response.text());
  };

  test('parses as Prometheus text, and its figures move when people join, negotiate and make mistakes', async () => {
    const before = await scrape();
    expect(before.get('sfu_joins_total')).toBe(0);
    expect(before.get('sfu_participants')).toBe(0);
    expect(before.has('sfu_process_resident_memory_bytes')).toBe(true);

    people.push(await TestParticipant.join(server, 'measured', 'ann'));
    people.push(await TestParticipant.join(server, 'measured', 'ben'));
    await people[0]!.waitForMediaFrom([people[1]!]);
    await people[1]!.waitForMediaFrom([people[0]!]);
    await server.gql(`query { room(id: "nowhere") { id } }`);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // medooze averages bitrates over a second

    const after = await scrape();
    // Each forwards the other's audio and video: tens of kbit/s at least, both ways.
    expect(after.get('sfu_bitrate_bps{direction="forwarded"}')).toBeGreaterThan(20_000);
    expect(after.get('sfu_bitrate_bps{direction="received"}')).toBeGreaterThan(20_000);
    expect(after.get('sfu_joins_total')).toBe(2);
    expect(after.get('sfu_participants')).toBe(2);
    expect(after.get('sfu_streams_published')).toBe(2);
    expect(after.get('sfu_streams_forwarded')).toBe(2);
    expect(after.get('sfu_negotiation_seconds_count{offered_by="server"}')).toBeGreaterThanOrEqual(2);
    expect(after.get('sfu_graphql_errors_total{code="ROOM_NOT_FOUND"}')).toBe(1);

    await people[1]!.leave();
    const left = await scrape();
    expect(left.get('sfu_participants')).toBe(1);
    expect(left.get('sfu_leaves_total{reason="LEFT"}')).toBe(1);
  });
  test('Participant.stats reports what the server receives from and forwards to each participant', async () => {
    type Stats = {
      bitrateIn: number;
      bitrateOut: number;
      inbound: Array<{ kind: string; packets: number; bitrate: number; streamId: string }>;
      outbound: Array<{ kind: string; packets: number; streamId: string }>;
    };
    const carl = await TestParticipant.join(server, 'stats', 'carl');
    const dina = await TestParticipant.join(server, 'stats', 'dina');
    people.push(carl, dina);
    await carl.waitForMediaFrom([dina]);
    await dina.waitForMediaFrom([carl]);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // medooze averages bitrates over a second
    const response = await server.gql<{ room: { participants: Array<{ name: string; stats: Stats }> } }>(
      `query { room(id: "stats") { participants { name stats { bitrateIn bitrateOut inbound { kind packets bitrate streamId } outbound { kind packets streamId } } } } }`,
    );
    const byName = new Map(response.data!.room.participants.map((p) => [p.name, p.stats]));
    const carlStats = byName.get('carl')!;
    expect(carlStats.bitrateIn).toBeGreaterThan(0);
    expect(carlStats.bitrateOut).toBeGreaterThan(0);
    expect(carlStats.inbound.map((track) => track.kind).sort()).toEqual(['AUDIO', 'VIDEO']);
    expect(
      carlStats.inbound.every((track) => track.packets > 0 && track.streamId === carl.peer.streamId),
    ).toBe(true);
    expect(
      carlStats.outbound.every((track) => track.packets > 0 && track.streamId === dina.peer.streamId),
    ).toBe(true);
    expect(carlStats.outbound).toHaveLength(2);
  });

  test('call quality is sampled, stored and queryable per participant, also after it left', async () => {
    const eve = await TestParticipant.join(server, 'quality', 'eve');
    const fay = await TestParticipant.join(server, 'quality', 'fay');
    people.push(eve, fay);
    await eve.waitForMediaFrom([fay]);
    await fay.waitForMediaFrom([eve]);
    // The server's timer samples every QUALITY_SAMPLE_INTERVAL_MS (300 ms here).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    type Sample = { at: string; bitrateIn: number; bitrateOut: number; lossIn: number; rtt: number };
    const query = `query { room(id: "quality") { participants { name qualityHistory(last: 100) { at bitrateIn bitrateOut lossIn rtt } } sessions { displayName qualityHistory { at bitrateIn } } } }`;
    const live = await server.gql<{
      room: {
        participants: Array<{ name: string; qualityHistory: Sample[] }>;
        sessions: Array<{ displayName: string; qualityHistory: Array<{ at: string; bitrateIn: number }> }>;
      };
    }>(query);
    const history = live.data!.room.participants.find((p) => p.name === 'eve')!.qualityHistory;
    expect(history.length).toBeGreaterThanOrEqual(4);
    const times = history.map((sample) => Date.parse(sample.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // Once media flows, the samples show it: loopback loses nothing.
    const flowing = history.slice(-3);
    expect(flowing.every((sample) => sample.bitrateIn > 20_000 && sample.bitrateOut > 20_000)).toBe(true);
    expect(flowing.every((sample) => sample.lossIn === 0)).toBe(true);

    await eve.leave();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const after = await server.gql<{
      room: { sessions: Array<{ displayName: string; qualityHistory: Array<{ at: string }> }> };
    }>(query);
    const kept = after.data!.room.sessions.find((s) => s.displayName === 'eve')!.qualityHistory;
    // Kept after leaving, and no new samples for someone gone.
    expect(kept.length).toBeGreaterThanOrEqual(history.length);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const later = await server.gql<{
      room: { sessions: Array<{ displayName: string; qualityHistory: Array<{ at: string }> }> };
    }>(query);
    expect(later.data!.room.sessions.find((s) => s.displayName === 'eve')!.qualityHistory).toHaveLength(
      kept.length,
    );
  });
});
