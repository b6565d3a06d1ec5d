import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { AccessTokens } from '../../src/access/AccessTokens';
import { TestParticipant } from '../helpers/participant';
import { collect, startTestServer, type TestServer } from '../helpers/server';
import { TestPeer } from '../helpers/weriftPeer';

/**
 * Issue 15, each finding reproduced the way an attacker would against a real server (real
 * graphql-ws sockets, real werift peers), with the document that broke it.
 */
const API_KEY = 'security-key';
const API_SECRET = 'security-secret-0123456789abcdef012345678';
const METRICS_TOKEN = 'metrics-token-0123456789';
const tokens = new AccessTokens(API_KEY, API_SECRET);
const ROOM = 'sec-room';
const joinToken = (identity: string, grants = {}, room = ROOM, ttlSeconds?: number) =>
  tokens.mintJoinToken({ room, identity, name: identity, grants, ttlSeconds });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = bearer(tokens.mintAdminToken());
const codeOf = (response: { errors?: Array<{ extensions?: { code?: string } }> }) =>
  response.errors?.[0]?.extensions?.code;
const codesOf = (response: { errors?: Array<{ extensions?: { code?: string } }> }) =>
  (response.errors ?? []).map((error) => error.extensions?.code);
const errorCode = (error: unknown) =>
  (error as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;

type Outcome = { ended: 'error'; code: string | undefined } | { ended: 'complete' } | { ended: 'no' };

/** Opens a subscription and reports how it ended (if it ended within `ms` of `until` resolving). */
function watch(server: TestServer, token: string, query: string, variables: Record<string, unknown> = {}) {
  const client = server.ws(bearer(token));
  const values: unknown[] = [];
  let outcome: Outcome = { ended: 'no' };
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  client.subscribe(
    { query, variables },
    {
      next: (value) => values.push(value),
      error: (error) => {
        outcome = {
          ended: 'error',
          code: (error as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code,
        };
        settle();
      },
      complete: () => {
        outcome = { ended: 'complete' };
        settle();
      },
    },
  );
  return {
    values,
    client,
    outcome: () => outcome,
    ended: (ms: number) =>
      Promise.race([settled, new Promise((resolve) => setTimeout(resolve, ms))]).then(() => outcome),
  };
}

/** How long an unrelated join takes (ms). */
async function timedJoin(server: TestServer, room: string, identity: string): Promise<number> {
  const started = Date.now();
  const participant = await TestParticipant.join(server, room, identity, {
    joinToken: joinToken(identity, {}, room),
  });
  const elapsed = Date.now() - started;
  await participant.close();
  return elapsed;
}

/**
 * "In normal time": the issue measured 10.2 s instead of 45 ms. The machine is shared, so the bound is
 * relative to a join measured alongside, with a floor.
 */
const normalTime = (baselineMs: number) => Math.max(2000, baselineMs * 3);

describe('security (issue 15)', () => {
  let server: TestServer;
  const people: TestParticipant[] = [];
  const join = async (identity: string, token = joinToken(identity), room = ROOM) => {
    const participant = await TestParticipant.join(server, room, identity, { joinToken: token });
    people.push(participant);
    return participant;
  };
  const createRoom = async (id: string) => {
    const created = await server.gql(
      `mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`,
      { id },
      admin,
    );
    expect(created.errors).toBeUndefined();
  };

  beforeAll(async () => {
    // A long grace: on a loaded machine a test peer's negotiation socket may take seconds to open.
    server = await startTestServer({
      env: {
        API_KEY,
        API_SECRET,
        METRICS_TOKEN,
        NEGOTIATION_GRACE_MS: '30000',
        MUTATIONS_PER_SECOND_PER_PARTICIPANT: '10',
      },
    });
    await createRoom(ROOM);
    // Warm up (JIT, the media endpoint) so that "an unrelated join in normal time" measures the server.
    await timedJoin(server, ROOM, 'warm-up');
  }, 60_000);
  afterAll(async () => {
    await Promise.all(people.map((p) => p.close().catch(() => undefined)));
    await server?.dispose();
  });

  test('finding 1: a banned room admin keeps none of its powers (kick, ban, close, read, follow)', async () => {
    await createRoom('sec-ban');
    const modToken = joinToken('mod', { roomAdmin: true }, 'sec-ban');
    const mod = await join('mod', modToken, 'sec-ban');
    const bob = await join('bob', joinToken('bob', {}, 'sec-ban'), 'sec-ban');
    const kicked = await server.gql(
      `mutation ($id: ID!) { kickParticipant(participantId: $id, ban: true) }`,
      { id: mod.id },
      admin,
    );
    expect(kicked.errors).toBeUndefined();
    const asMod = bearer(modToken);
    const kick = await server.gql(
      `mutation ($id: ID!) { kickParticipant(participantId: $id, ban: true) }`,
      { id: bob.id },
      asMod,
    );
    const close = await server.gql(`mutation { closeRoom(id: "sec-ban") { id } }`, {}, asMod);
    const read = await server.gql(`query { room(id: "sec-ban") { id participants { id } } }`, {}, asMod);
    const follow = await collect(
      server.ws(asMod),
      `subscription { roomEvents(roomId: "sec-ban", after: 0) { type } }`,
      {},
      1,
      3000,
    ).values.then(
      () => 'ok',
      (error) => errorCode(error),
    );
    expect({ kick: codeOf(kick), close: codeOf(close), read: codeOf(read), follow }).toEqual({
      kick: 'BANNED',
      close: 'BANNED',
      read: 'BANNED',
      follow: 'BANNED',
    });
    // Nothing happened: bob is still in, the room is open.
    const room = await server.gql<{ room: { open: boolean; participants: Array<{ id: string }> } }>(
      `query { room(id: "sec-ban") { open participants { id } } }`,
      {},
      admin,
    );
    expect(room.data!.room).toEqual({ open: true, participants: [{ id: bob.id }] });
  });

  test('finding 5: kicking ends the kicked caller’s subscriptions (join token and participant token) at once', async () => {
    await createRoom('sec-kick');
    const daveToken = joinToken('dave', {}, 'sec-kick');
    const dave = await join('dave', daveToken, 'sec-kick');
    const byJoinToken = watch(server, daveToken, `subscription { roomEvents(roomId: "sec-kick") { type } }`);
    const byParticipant = watch(
      server,
      dave.token,
      `subscription { roomEvents(roomId: "sec-kick") { type } }`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const kicked = await server.gql(
      `mutation ($id: ID!) { kickParticipant(participantId: $id, ban: true) }`,
      { id: dave.id },
      admin,
    );
    expect(kicked.errors).toBeUndefined();
    expect(await byJoinToken.ended(2000)).toEqual({ ended: 'error', code: 'BANNED' });
    expect(await byParticipant.ended(2000)).not.toEqual({ ended: 'no' });
    // Later events reach neither.
    const seen = byJoinToken.values.length;
    await join('erin', joinToken('erin', {}, 'sec-kick'), 'sec-kick');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(byJoinToken.values.length).toBe(seen);
  });

  test('finding 5: a token expiring ends the subscriptions it opened', async () => {
    await createRoom('sec-expiry');
    const shortLived = joinToken('frank', {}, 'sec-expiry', 2);
    const events = watch(server, shortLived, `subscription { roomEvents(roomId: "sec-expiry") { type } }`);
    expect(await events.ended(5000)).toEqual({ ended: 'error', code: 'TOKEN_EXPIRED' });
  });

  test('finding 3: a 1,000-alias mutation is refused whole, with a code, and does nothing', async () => {
    await createRoom('sec-alias');
    const gina = await join('gina', joinToken('gina', {}, 'sec-alias'), 'sec-alias');
    const track = (
      await server.gql<{
        room: { participants: Array<{ streams: Array<{ tracks: Array<{ id: string }> }> }> };
      }>(`query { room(id: "sec-alias") { participants { streams { tracks { id } } } } }`, {}, admin)
    ).data!.room.participants[0]!.streams[0]!.tracks[0]!.id;
    const fields = Array.from(
      { length: 1000 },
      (_, i) =>
        `a${i}: setTrackMuted(input: { participantId: "${gina.id}", trackId: "${track}", muted: ${i % 2 === 0} })`,
    ).join(' ');
    const baselineMs = await timedJoin(server, 'sec-alias', 'baseline');
    const started = Date.now();
    const [response, joinMs] = await Promise.all([
      server.gql(`mutation { ${fields} }`, {}, gina.auth),
      timedJoin(server, 'sec-alias', 'bystander'),
    ]);
    expect(codesOf(response)).toContain('TOO_MANY_ROOT_FIELDS');
    expect(response.data ?? null).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(joinMs).toBeLessThan(normalTime(baselineMs));
    await server.app.conference.flushEvents();
    const replay = watch(
      server,
      tokens.mintAdminToken(),
      `subscription { roomEvents(roomId: "sec-alias", after: 0) { type } }`,
    );
    expect(await replay.ended(1500)).toEqual({ ended: 'no' });
    const events = replay.values as Array<{ data: { roomEvents: { type: string } } }>;
    expect(events.map((e) => e.data.roomEvents.type)).toContain('PARTICIPANT_JOINED');
    expect(events.map((e) => e.data.roomEvents.type)).not.toContain('TRACK_MUTED');
  });

  test('finding 3: 500 subscriptions on one socket: past 100 each is refused with a code, the server stays responsive', async () => {
    const baselineMs = await timedJoin(server, ROOM, 'baseline2');
    const client = server.ws(admin);
    const codes: Array<string | undefined> = [];
    const stops: Array<() => void> = [];
    for (let i = 0; i < 500; i++) {
      stops.push(
        client.subscribe(
          { query: `subscription { roomEvents(roomId: "${ROOM}") { type } }` },
          {
            next: () => undefined,
            error: (error) =>
              codes.push((error as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code),
            complete: () => undefined,
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const joinMs = await timedJoin(server, ROOM, 'bystander2');
    expect(codes.length).toBe(400);
    expect(new Set(codes)).toEqual(new Set(['TOO_MANY_SUBSCRIPTIONS']));
    expect(joinMs).toBeLessThan(normalTime(baselineMs));
    for (const stop of stops) stop();
    await client.dispose();
  });

  test('finding 4: 200 aliased qualityHistory are refused; cost counts variables and default values', async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `q${i}: qualityHistory(last: $n) { at }`).join(' ');
    const many = await server.gql(
      `query ($n: Int!) { room(id: "${ROOM}") { sessions { id ${aliases} } } }`,
      { n: 10000 },
      admin,
    );
    expect(codesOf(many)).toContain('TOO_MANY_ALIASES');
    const fewByVariable = Array.from({ length: 20 }, (_, i) => `q${i}: qualityHistory(last: $n) { at }`).join(
      ' ',
    );
    const byVariable = await server.gql(
      `query ($n: Int!) { room(id: "${ROOM}") { sessions { ${fewByVariable} } } }`,
      { n: 10000 },
      admin,
    );
    expect(codeOf(byVariable)).toBe('QUERY_TOO_COSTLY');
    const fewByDefault = Array.from({ length: 20 }, (_, i) => `q${i}: qualityHistory { at }`).join(' ');
    const byDefault = await server.gql(
      `query { room(id: "${ROOM}") { sessions { ${fewByDefault} } } }`,
      {},
      admin,
    );
    expect(codeOf(byDefault)).toBe('QUERY_TOO_COSTLY');
    // An ordinary history query still answers.
    const ordinary = await server.gql(
      `query { room(id: "${ROOM}") { sessions { id qualityHistory { at } } } }`,
      {},
      admin,
    );
    expect(ordinary.errors).toBeUndefined();
  });

  test('finding 4: Room.sessions is paged (first/after) with a bounded default', async () => {
    await createRoom('sec-pages');
    for (const name of ['p1', 'p2', 'p3']) await join(name, joinToken(name, {}, 'sec-pages'), 'sec-pages');
    await server.app.conference.flushEvents();
    const first = await server.gql<{ room: { sessions: Array<{ id: string; displayName: string }> } }>(
      `query { room(id: "sec-pages") { sessions(first: 2) { id displayName } } }`,
      {},
      admin,
    );
    expect(first.errors).toBeUndefined();
    expect(first.data!.room.sessions.map((s) => s.displayName)).toEqual(['p1', 'p2']);
    const next = await server.gql<{ room: { sessions: Array<{ displayName: string }> } }>(
      `query ($after: ID!) { room(id: "sec-pages") { sessions(first: 2, after: $after) { displayName } } }`,
      { after: first.data!.room.sessions[1]!.id },
      admin,
    );
    expect(next.data!.room.sessions.map((s) => s.displayName)).toEqual(['p3']);
    const tooMany = await server.gql(
      `query { room(id: "sec-pages") { sessions(first: 501) { id } } }`,
      {},
      admin,
    );
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
  });

  test('limits: event-producing mutations are rate limited per participant', async () => {
    await createRoom('sec-rate');
    const hank = await join('hank', joinToken('hank', {}, 'sec-rate'), 'sec-rate');
    const track = (
      await server.gql<{
        room: { participants: Array<{ streams: Array<{ tracks: Array<{ id: string }> }> }> };
      }>(`query { room(id: "sec-rate") { participants { streams { tracks { id } } } } }`, {}, admin)
    ).data!.room.participants[0]!.streams[0]!.tracks[0]!.id;
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 60; i++) {
      const response = await server.gql(
        `mutation ($id: ID!, $t: ID!, $m: Boolean!) { setTrackMuted(input: { participantId: $id, trackId: $t, muted: $m }) }`,
        { id: hank.id, t: track, m: i % 2 === 0 },
        hank.auth,
      );
      codes.push(codeOf(response));
    }
    expect(codes).toContain('RATE_LIMITED');
    expect(codes.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test('limits: a participant may publish a bounded number of tracks', async () => {
    const peer = new TestPeer();
    for (let i = 0; i < 20; i++) peer.addExtraVideo();
    const offer = await peer.createOffer();
    const response = await server.gql(
      `mutation ($offer: String!) { join(input: { roomId: "${ROOM}", name: "x", offer: $offer }) { token } }`,
      { offer },
      bearer(joinToken('ivan')),
    );
    await peer.close();
    expect(codeOf(response)).toBe('TOO_MANY_TRACKS');
  });

  test('finding 8: one seat per identity: a second join with the same identity replaces the first', async () => {
    await createRoom('sec-seat');
    const token = joinToken('judy', {}, 'sec-seat');
    const events = watch(
      server,
      tokens.mintAdminToken(),
      `subscription { roomEvents(roomId: "sec-seat") { type reason participantId } }`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const first = await join('judy', token, 'sec-seat');
    const second = await join('judy', token, 'sec-seat');
    const room = await server.gql<{ room: { participants: Array<{ id: string }> } }>(
      `query { room(id: "sec-seat") { participants { id } } }`,
      {},
      admin,
    );
    expect(room.data!.room.participants).toEqual([{ id: second.id }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events.values).toContainEqual({
      data: {
        roomEvents: { type: 'PARTICIPANT_LEFT', reason: 'DUPLICATE_IDENTITY', participantId: first.id },
      },
    });
  });

  test('finding 6: offered candidates are never contacted', async () => {
    const target: Socket = createSocket('udp4');
    let packets = 0;
    target.on('message', () => packets++);
    await new Promise<void>((resolve) => target.bind(0, '127.0.0.1', resolve));
    const port = (target.address() as AddressInfo).port;
    const peer = new TestPeer();
    const offer = await peer.createOffer();
    const candidates = Array.from(
      { length: 20 },
      (_, i) => `a=candidate:${9000 + i} 1 udp ${2000000000 - i} 127.0.0.1 ${port} typ host\r\n`,
    ).join('');
    const poisoned = offer.replace(/(a=mid:[^\r\n]*\r\n)/, `$1${candidates}`);
    const response = await server.gql<{ join: { answer: string; token: string } }>(
      `mutation ($offer: String!) { join(input: { roomId: "${ROOM}", name: "x", offer: $offer }) { answer token participant { id } } }`,
      { offer: poisoned },
      bearer(joinToken('kate')),
    );
    expect(response.errors).toBeUndefined();
    await peer.acceptAnswer(response.data!.join.answer);
    // The peer still connects: the server learns its address from the peer's own checks.
    await peer.waitFor(() => peer.connectionState === 'connected', 5000, 'ICE and DTLS to connect');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await peer.close();
    target.close();
    expect(packets).toBe(0);
  });

  test('low: HTML in stream ids is refused, not stored and broadcast', async () => {
    const peer = new TestPeer();
    const offer = (await peer.createOffer()).replaceAll(peer.streamId, '<script>x</script>');
    await peer.close();
    const response = await server.gql(
      `mutation ($offer: String!) { join(input: { roomId: "${ROOM}", name: "x", offer: $offer }) { token } }`,
      { offer },
      bearer(joinToken('nick')),
    );
    expect(codeOf(response)).toBe('INVALID_SDP');
  });

  test('low: secured mode guards introspection and /metrics', async () => {
    const introspect = `query { __schema { queryType { name } } }`;
    const anonymous = await server.gql(introspect);
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    const member = await server.gql(introspect, {}, bearer(joinToken('lee')));
    expect(codeOf(member)).toBe('FORBIDDEN');
    const byAdmin = await server.gql(introspect, {}, admin);
    expect(byAdmin.errors).toBeUndefined();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: bearer(METRICS_TOKEN) })).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`, { headers: admin })).status).toBe(200);
  });

  test('low: future iat/nbf, endless exp and wrong issuers are refused without echoing the key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, issuer = API_KEY) =>
      jwt.sign({ room: ROOM, grants: {}, ...claims }, API_SECRET, {
        issuer,
        subject: 'mia',
      });
    const read = (token: string) => server.gql(`query { room(id: "${ROOM}") { id } }`, {}, bearer(token));
    const future = await read(sign({ iat: now + 365 * 86400, exp: now + 366 * 86400 }));
    expect(codeOf(future)).toBe('INVALID_TOKEN');
    const endless = await read(sign({ iat: now, exp: now + 100 * 365 * 86400 }));
    expect(codeOf(endless)).toBe('INVALID_TOKEN');
    const wrongIssuer = await read(sign({ iat: now, exp: now + 60 }, 'another-key'));
    expect(codeOf(wrongIssuer)).toBe('INVALID_TOKEN');
    expect(JSON.stringify(wrongIssuer)).not.toContain(API_KEY);
  });

  test('low: deeply nested metadata is a client mistake (BAD_USER_INPUT)', async () => {
    let metadata: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 200; i++) metadata = { m: metadata };
    const response = await server.gql(
      `mutation ($m: JSONObject!) { createRoom(input: { id: "sec-deep", metadata: $m }) { id } }`,
      { m: metadata },
      admin,
    );
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
  });

  test('low: the page is served with CSP, frame-ancestors, nosniff and Referrer-Policy', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
