import { TestParticipant } from '../helpers/participant';
import { collect, startTestServer, type TestServer } from '../helpers/server';
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
    server = await startTestServer({
      env: { ROOM_DEFAULT_MAX_PARTICIPANTS: '1000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    });
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
    // A leave is answered before medooze has released the transport; wait for that.
    await server.app.media.settled();
    expect(server.app.media.nativeObjects().transports).toBe(server.app.media.openPeers().length);
    expect(server.app.conference.stats().participants).toBe(2);
  }, 240_000);

  test('1,000 mutated client offers and answers from a participant in a call: stable codes, the others unharmed', async () => {
    const target = await TestParticipant.join(server, 'fuzz-negotiation', 'target');
    const other = await TestParticipant.join(server, 'fuzz-negotiation', 'other');
    await target.waitForMediaFrom([other]);
    await target.settled();
    // The server offer is answered by hand below, so the automatic answerer steps aside.
    target.unsubscribe();
    const offers = collect<{ negotiation: { revision: number; sdp: string } }>(
      server.ws(target.auth),
      `subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }`,
      { id: target.id },
      1_000_000,
      600_000,
    );
    await offers.ready;
    const domainTarget = server.app.conference.participant(target.id);
    const clientOffer = await target.peer.createOffer();
    await target.peer.rollback();
    let validAnswer = clientOffer;
    let answeredRevision = 0;
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    const before = alice.peer.received(bob.peer.streamId).audio;
    const accepted = new Set([
      ...ACCEPTED_CODES,
      'NEGOTIATION_CONFLICT',
      'STALE_OFFER',
      'NO_PENDING_OFFER',
      'OK',
    ]);
    for (let index = 0; index < 1000; index++) {
      const rnd = random(10_000 + index);
      const mutate = mutations[index % mutations.length]!;
      let response;
      if (index < 500) {
        response = await server.gql(
          `mutation ($input: RenegotiateInput!) { renegotiate(input: $input) { revision } }`,
          { input: { participantId: target.id, offer: mutate(clientOffer, rnd) } },
          target.auth,
        );
      } else {
        // Then answers: to a server offer, made afresh whenever a (mutated) answer was accepted.
        if (!domainTarget.pendingOffer) domainTarget.requestOffer();
        const pending = domainTarget.pendingOffer;
        // werift answers the offer when it still can (mutated SDP the server took may have lost it).
        if (pending && pending.revision !== answeredRevision) {
          validAnswer = await target.peer.acceptOffer(pending.sdp).catch(() => validAnswer);
          answeredRevision = pending.revision;
        }
        response = await server.gql(
          `mutation ($input: AnswerInput!) { answer(input: $input) }`,
          {
            input: {
              participantId: target.id,
              revision: pending?.revision ?? 1,
              sdp: mutate(validAnswer, rnd),
            },
          },
          target.auth,
        );
      }
      const code = response.errors?.[0]?.extensions?.code ?? 'OK';
      const key = `${index < 500 ? 'offer' : 'answer'}:${code}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (!accepted.has(code)) unexpected.push(`#${index}: ${code} ${response.errors?.[0]?.message ?? ''}`);
      if (!domainTarget.present) break;
    }
    offers.stop();
    console.log('negotiation outcomes', Object.fromEntries(outcomes));
    expect(unexpected).toEqual([]);
    expect(domainTarget.present).toBe(true);
    // Most of them reached the SDP checks and were refused there.
    const refused = [...outcomes]
      .filter(([key]) => key.endsWith(':INVALID_SDP'))
      .reduce((n, [, c]) => n + c, 0);
    expect(refused).toBeGreaterThan(300);
    await alice.peer.waitFor(
      () => alice.peer.received(bob.peer.streamId).audio > before + 50,
      5000,
      'alice still hearing bob',
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await target.leave();
    await other.leave();
  }, 240_000);

  test('oversized, deep, costly, mistyped and malformed requests and unknown ids: each its code, nothing harmed', async () => {
    const post = async (body: string | Blob, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      const json = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      return json.errors?.[0]?.extensions?.code ?? 'OK';
    };
    const query = (text: string, variables: Record<string, unknown> = {}, headers = {}) =>
      post(JSON.stringify({ query: text, variables }), headers);
    let deep = 'id';
    for (let i = 0; i < 40; i++) deep = `participants { streams { participant { ${deep} } } }`;
    const aliases = Array.from({ length: 3000 }, (_, i) => `r${i}: room(id: "bystanders") { id }`).join(' ');
    const cases: Array<[string, Promise<string>, string]> = [
      [
        'a 2 MB document',
        query(`query { rooms(first: 1) { totalCount } } # ${'x'.repeat(2_000_000)}`),
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'a 200 kB SDP',
        query(`mutation ($o: String!) { join(input: { roomId: "x", name: "x", offer: $o }) { token } }`, {
          o: `v=0\r\n${'a=x\r\n'.repeat(40_000)}`,
        }),
        'INVALID_SDP',
      ],
      ['a query 160 levels deep', query(`query { room(id: "bystanders") { ${deep} } }`), 'QUERY_TOO_DEEP'],
      ['3,000 aliases', query(`query { ${aliases} }`), 'QUERY_TOO_COSTLY'],
      ['not JSON', post('{"query": "query {'), 'BAD_REQUEST'],
      [
        'invalid UTF-8',
        post(new Blob([new Uint8Array([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d])])),
        'BAD_REQUEST',
      ],
      ['not GraphQL', query('this is not graphql'), 'GRAPHQL_PARSE_FAILED'],
      ['an unknown field', query('query { nothing }'), 'GRAPHQL_VALIDATION_FAILED'],
      [
        'a string for an Int',
        query('query { rooms(first: "many") { totalCount } }'),
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [
        'a variable of the wrong type',
        query('query ($n: Int!) { rooms(first: $n) { totalCount } }', { n: 'many' }),
        'BAD_USER_INPUT',
      ],
      ['an out-of-range page size', query('query { rooms(first: 0) { totalCount } }'), 'BAD_USER_INPUT'],
      ['an unknown room', query('query { room(id: "no-such-room") { id } }'), 'ROOM_NOT_FOUND'],
      [
        'an unknown participant',
        query('mutation { leave(participantId: "no-such-participant") }', {}, alice.auth),
        'PARTICIPANT_NOT_FOUND',
      ],
      ['someone else', query(`mutation { leave(participantId: "${bob.id}") }`, {}, alice.auth), 'FORBIDDEN'],
      [
        'an unknown track',
        query(
          `mutation { setTrackMuted(input: { participantId: "${alice.id}", trackId: "nope", muted: true }) }`,
          {},
          alice.auth,
        ),
        'TRACK_NOT_FOUND',
      ],
      [
        'a bad room id',
        query('mutation { createRoom(input: { id: "../../etc/passwd" }) { id } }'),
        'BAD_USER_INPUT',
      ],
      [
        'an answer to no offer',
        query(
          `mutation { answer(input: { participantId: "${alice.id}", revision: 99, sdp: "v=0" }) }`,
          {},
          alice.auth,
        ),
        'NO_PENDING_OFFER',
      ],
    ];
    const got: Record<string, string> = {};
    for (const [name, outcome] of cases) got[name] = await outcome;
    expect(got).toEqual(Object.fromEntries(cases.map(([name, , code]) => [name, code])));
    const before = alice.peer.received(bob.peer.streamId).audio;
    await alice.peer.waitFor(
      () => alice.peer.received(bob.peer.streamId).audio > before + 50,
      5000,
      'alice still hearing bob',
    );
    expect(server.app.conference.stats().participants).toBe(2);
  });
});
