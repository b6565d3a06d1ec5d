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
    server = await startTestServer();
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

    const after = await scrape();
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
});
