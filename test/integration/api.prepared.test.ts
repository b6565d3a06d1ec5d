/**
 * GraphQL POSTs of known, valid documents are answered by PreparedOperations (graphql-jit, no
 * Apollo pipeline). A client must not be able to tell: every response here is compared, byte for
 * byte and status for status, with Apollo's own answer to the same request (forced by an Accept
 * header that only Apollo serves), and /metrics shows which executor answered.
 */
import { TestPeer } from '../helpers/weriftPeer';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.dispose();
});

/** Apollo answers `application/graphql-response+json` requests itself: the reference. */
const APOLLO_ONLY = 'application/graphql-response+json;q=0.1, application/json';

async function post(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function executors(): Promise<{ prepared: number; apollo: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (executor: string): number =>
    Number(new RegExp(`sfu_graphql_http_requests\\{executor="${executor}"\\} (\\d+)`).exec(text)?.[1] ?? NaN);
  return { prepared: read('prepared'), apollo: read('apollo') };
}

const READS: Array<[string, unknown]> = [
  ['a list', { query: 'query { rooms(first: 5) { nodes { id name createdAt } totalCount } }' }],
  ['variables', { query: 'query ($n: Int!) { rooms(first: $n) { totalCount } }', variables: { n: 2 } }],
  ['a domain error', { query: 'query { room(id: "nowhere") { id } }' }],
  [
    'a named operation among two',
    {
      query: 'query A { rooms(first: 1) { totalCount } } query B { nodes { id } }',
      operationName: 'B',
    },
  ],
  ['an unauthenticated mutation', { query: 'mutation { leave(participantId: "nobody") }' }],
  [
    'a malformed SDP',
    {
      query: 'mutation ($input: JoinInput!) { join(input: $input) { token } }',
      variables: { input: { roomId: 'prepared', name: 'x', offer: 'v=0\r\nnot sdp' } },
    },
  ],
  // Left to Apollo by PreparedOperations, answered identically either way.
  [
    'variables of the wrong type',
    { query: 'query ($n: Int!) { rooms(first: $n) { totalCount } }', variables: { n: 'a' } },
  ],
  ['an unknown field', { query: 'query { rooms(first: 1) { nodes { nope } } }' }],
  ['a query over the cost limit', { query: 'query { rooms(first: 5000) { totalCount } }' }],
  ['a syntax error', { query: 'query { rooms(first: 1) {' }],
];

describe('prepared GraphQL POSTs', () => {
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const created = await post({
        query: 'mutation ($input: CreateRoomInput!) { createRoom(input: $input) { id } }',
        variables: { input: { id: `prepared-${i}`, name: `Prepared ${i}` } },
      });
      expect(created.text).toContain(`"id":"prepared-${i}"`);
    }
  });

  test.each(READS)('%s: the same status and body as Apollo gives', async (_name, body) => {
    const reference = await post(body, { accept: APOLLO_ONLY });
    const first = await post(body);
    const again = await post(body);
    expect(first).toEqual(reference);
    expect(again).toEqual(reference);
  });

  test('the known documents were answered without Apollo, the others by it', async () => {
    const before = await executors();
    const known = READS[0][1];
    for (let i = 0; i < 5; i++) await post(known);
    await post(READS[7][1]);
    const after = await executors();
    expect(after.prepared - before.prepared).toBe(5);
    expect(after.apollo - before.apollo).toBe(1);
  });

  test("a document's first request is Apollo's (no compilation for one-off documents), the next ones prepared", async () => {
    const fresh = { query: 'query { rooms(first: 7) { totalCount } }' };
    const before = await executors();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await post(fresh));
    const after = await executors();
    expect(after.apollo - before.apollo).toBe(1);
    expect(after.prepared - before.prepared).toBe(3);
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
  });

  test('mutations with effects run once, in order, with the same errors as Apollo', async () => {
    const create = (id: string) =>
      post({
        query: 'mutation ($input: CreateRoomInput!) { createRoom(input: $input) { id name } }',
        variables: { input: { id, name: 'Twice' } },
      });
    const made = await create('prepared-once');
    expect(JSON.parse(made.text)).toEqual({ data: { createRoom: { id: 'prepared-once', name: 'Twice' } } });
    const duplicate = await create('prepared-once');
    expect(JSON.parse(duplicate.text).errors[0].extensions.code).toBe('ROOM_EXISTS');
    // Two root fields of one mutation run one after the other: the second sees the first's room.
    const both = await post({
      query:
        'mutation { a: createRoom(input: { id: "prepared-a", name: "A" }) { id } b: createRoom(input: { id: "prepared-a", name: "B" }) { id } }',
    });
    const parsed = JSON.parse(both.text);
    // createRoom is non-null: one failed root field nulls the whole data, as graphql-js does.
    expect(parsed.data).toBeNull();
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatchObject({ path: ['b'], extensions: { code: 'ROOM_EXISTS' } });
    const room = await post({ query: 'query { room(id: "prepared-a") { name } }' });
    expect(JSON.parse(room.text)).toEqual({ data: { room: { name: 'A' } } });
  });

  test('a join and a leave through the prepared path', async () => {
    const peer = new TestPeer();
    try {
      const join =
        'mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id name } } }';
      const offer = await peer.createOffer();
      const joined = JSON.parse(
        (await post({ query: join, variables: { input: { roomId: 'prepared-0', name: 'Ann', offer } } }))
          .text,
      );
      expect(joined.errors).toBeUndefined();
      expect(joined.data.join.answer).toContain('v=0');
      expect(joined.data.join.participant.name).toBe('Ann');
      const { token, participant } = joined.data.join;
      const left = await post(
        { query: 'mutation ($id: ID!) { leave(participantId: $id) }', variables: { id: participant.id } },
        { authorization: `Bearer ${token}` },
      );
      expect(JSON.parse(left.text)).toEqual({ data: { leave: true } });
      expect(server.app.conference.participantsOf('prepared-0')).toEqual([]);
    } finally {
      await peer.close();
    }
  });
});
