import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestPeer } from '../helpers/weriftPeer';

/** A small deterministic PRNG, so a failing case can be reproduced from its index. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/** Ways real clients and attackers get SDP wrong; each takes a valid offer and returns a broken one. */
const mutations: Array<(sdp: string, rnd: () => number) => string> = [
  (sdp, rnd) => sdp.slice(0, Math.floor(rnd() * sdp.length)),
  (sdp) => sdp.replace(/a=fingerprint:[^\r]*/g, 'a=fingerprint:sha-256 00:11'),
  (sdp) => sdp.replace(/a=fingerprint:[^\r]*\r\n/g, ''),
  (sdp) => sdp.replace(/a=ice-ufrag:[^\r]*\r\n/g, '').replace(/a=ice-pwd:[^\r]*\r\n/g, ''),
  (sdp, rnd) => sdp.replace(/^m=(audio|video) \d+/gm, `m=$1 ${Math.floor(rnd() * 10_000_000) - 5}`),
  (sdp, rnd) => sdp.replace(/ 111\b| 96\b/g, ` ${[0, 999, -1, 65536, 128][Math.floor(rnd() * 5)]}`),
  (sdp) => sdp.replace(/a=rtpmap:(\d+) [^\r]*/g, 'a=rtpmap:$1 nonsense'),
  (sdp) => sdp.replace('a=group:BUNDLE', `a=x-huge:${'A'.repeat(60_000)}\r\na=group:BUNDLE`),
  (sdp) => sdp.replace(/\r\n/g, '\n'),
  (sdp) => sdp.replace(/a=mid:[^\r]*\r\n/g, ''),
  (sdp) => sdp.replace(/a=msid:[^\r]*/g, 'a=msid:'),
  (sdp) => sdp.replace(/a=ssrc:\d+/g, 'a=ssrc:notanumber'),
  (sdp) => sdp.replace(/a=(sendrecv|recvonly)/g, 'a=sideways'),
  (sdp) => sdp.replace(/^m=audio/m, 'm=application'),
  (sdp) => `${sdp}${sdp.slice(sdp.indexOf('m='))}`,
  (sdp) => sdp.replace(/^(a=[a-z-]+):/gm, '$1:\uFFFD\u0000\uD800'),
  (sdp, rnd) => {
    const chars = [...sdp];
    for (let i = 0; i < 20; i++)
      chars[Math.floor(rnd() * chars.length)] = String.fromCharCode(Math.floor(rnd() * 0x3000));
    return chars.join('');
  },
  (sdp, rnd) => {
    const lines = sdp.split('\r\n');
    lines.splice(Math.floor(rnd() * lines.length), 1 + Math.floor(rnd() * 5));
    return lines.join('\r\n');
  },
  (sdp, rnd) => {
    const lines = sdp.split('\r\n');
    for (let i = lines.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    }
    return lines.join('\r\n');
  },
];

const ACCEPTED_CODES = new Set([
  'INVALID_SDP',
  'BAD_USER_INPUT',
  'PAYLOAD_TOO_LARGE',
  'GRAPHQL_VALIDATION_FAILED',
]);

describe('a corpus of broken SDP against a live server', () => {
  let server: TestServer;
  let alice: TestParticipant;
  let bob: TestParticipant;
  let validOffer: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { ROOM_DEFAULT_MAX_PARTICIPANTS: '1000' } });
    alice = await TestParticipant.join(server, 'bystanders', 'alice');
    bob = await TestParticipant.join(server, 'bystanders', 'bob');
    await alice.waitForMediaFrom([bob]);
    const peer = new TestPeer();
    validOffer = await peer.createOffer();
    await peer.close();
  });
  afterAll(async () => {
    await alice.close();
    await bob.close();
    await server.dispose();
  });

  test('1,000 mutated offers each get an answer or a stable error code; the process and a call in another room carry on', async () => {
    const outcomes = new Map<string, number>();
    const joinsByMutation = new Map<number, number>();
    const refusedByMutation = new Map<number, number>();
    const unexpected: string[] = [];
    const before = alice.peer.received(bob.peer.streamId).audio;
    for (let index = 0; index < 1000; index++) {
      const rnd = random(index + 1);
      const mutate = mutations[index % mutations.length]!;
      const offer = mutate(validOffer, rnd);
      const response = await server.gql<{ join: { token: string; participant: { id: string } } }>(
        `mutation ($input: JoinInput!) { join(input: $input) { token participant { id } } }`,
        { input: { roomId: `corpus-${index % 10}`, name: `fuzz-${index}`, offer } },
      );
      const code = response.errors?.[0]?.extensions?.code ?? (response.data?.join ? 'JOINED' : 'NONE');
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      const kind = index % mutations.length;
      joinsByMutation.set(kind, (joinsByMutation.get(kind) ?? 0) + 1);
      if (code === 'INVALID_SDP') refusedByMutation.set(kind, (refusedByMutation.get(kind) ?? 0) + 1);
      if (code === 'JOINED') {
        const { participant, token } = response.data!.join;
        await server.gql(
          `mutation ($id: ID!) { leave(participantId: $id) }`,
          { id: participant.id },
          { authorization: `Bearer ${token}` },
        );
      } else if (!ACCEPTED_CODES.has(code)) {
        unexpected.push(
          `#${index} (mutation ${index % mutations.length}): ${code} ${response.errors?.[0]?.message ?? ''}`,
        );
      }
    }
    console.log('outcomes', Object.fromEntries(outcomes));
    expect(unexpected).toEqual([]);
    // Offers that would leave DTLS unauthenticated or ICE without credentials are always refused.
    expect(refusedByMutation.get(1)).toBe(joinsByMutation.get(1));
    expect(refusedByMutation.get(2)).toBe(joinsByMutation.get(2));
    expect(refusedByMutation.get(3)).toBe(joinsByMutation.get(3));

    // The call next door never stopped, and nothing was left behind.
    await alice.peer.waitFor(
      () => alice.peer.received(bob.peer.streamId).audio > before + 50,
      5000,
      'alice still hearing bob',
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.app.media.nativeObjects().transports).toBe(server.app.media.openPeers().length);
    expect(server.app.conference.stats().participants).toBe(2);
  }, 240_000);
});
