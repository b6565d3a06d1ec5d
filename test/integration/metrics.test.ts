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
});
