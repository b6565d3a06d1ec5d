import { TestParticipant } from '../helpers/participant';
import { collect, POSTGRES_URL, startTestServer, type TestServer } from '../helpers/server';

type Event = {
  roomEvents: {
    sequence: number;
    type: string;
    participantName: string | null;
    attributes: Record<string, unknown> | null;
    message: { id: string; text: string; to: string[] | null; from: { name: string } } | null;
  };
};
const EVENTS = `subscription ($room: ID!, $after: Int) { roomEvents(roomId: $room, after: $after) {
  sequence type participantName attributes message { id text to from { name } } } }`;
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id text to at from { participantId name } } }`;
const HISTORY = `query ($room: ID!, $first: Int, $after: String) { room(id: $room) { messages(first: $first, after: $after) {
  nodes { text to from { name } } pageInfo { endCursor hasNextPage } } } }`;

const texts = (events: Event[]) =>
  events
    .filter((event) => event.roomEvents.type === 'MESSAGE')
    .map((event) => event.roomEvents.message!.text);

const databases: Array<[string, string | undefined]> = [
  ['the embedded default', undefined],
  ...(POSTGRES_URL ? [['PostgreSQL', POSTGRES_URL] as [string, string]] : []),
];

describe.each(databases)('chat and attributes on %s', (_name, databaseUrl) => {
  let server: TestServer;
  let ann: TestParticipant;
  let ben: TestParticipant;
  let cat: TestParticipant;

  beforeAll(async () => {
    server = await startTestServer(
      databaseUrl ? { env: { DATABASE_URL: `${databaseUrl}?schema=chat_${process.pid}` } } : {},
    );
    ann = await TestParticipant.join(server, 'talk', 'ann');
    ben = await TestParticipant.join(server, 'talk', 'ben');
    cat = await TestParticipant.join(server, 'talk', 'cat');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([ann, ben, cat].map((participant) => participant?.close()));
    await server?.dispose();
  });

  test('messages reach the room; a private one reaches only its sender and recipient, everywhere', async () => {
    const catLive = collect<Event>(server.ws(cat.auth), EVENTS, { room: 'talk' }, 2, 10_000);
    const benLive = collect<Event>(server.ws(ben.auth), EVENTS, { room: 'talk' }, 3, 10_000);
    await Promise.all([catLive.ready, benLive.ready]);

    const hello = await server.gql<{ sendMessage: { text: string; to: null; from: { name: string } } }>(
      SEND,
      { input: { participantId: ann.id, text: 'hello all' } },
      ann.auth,
    );
    expect(hello.data?.sendMessage).toMatchObject({ text: 'hello all', to: null, from: { name: 'ann' } });
    const secret = await server.gql(
      SEND,
      { input: { participantId: ann.id, text: 'psst ben', to: [ben.id] } },
      ann.auth,
    );
    expect(secret.errors).toBeUndefined();
    await server.gql(SEND, { input: { participantId: ben.id, text: 'hi ann' } }, ben.auth);

    expect(texts(await benLive.values)).toEqual(['hello all', 'psst ben', 'hi ann']);
    // cat's live stream skips the private message: its second event is ben's public one.
    expect(texts(await catLive.values)).toEqual(['hello all', 'hi ann']);

    // Replay (after a reconnect) and history: the same rule.
    const catReplay = await collect<Event>(
      server.ws(cat.auth),
      EVENTS,
      { room: 'talk', after: 0 },
      100,
      1500,
    ).values.catch(
      (error: Error) => JSON.parse(error.message.replace(/^timed out with \d+\/\d+ values: /, '')) as Event[],
    );
    expect(texts(catReplay)).toEqual(['hello all', 'hi ann']);
    const benReplay = await collect<Event>(
      server.ws(ben.auth),
      EVENTS,
      { room: 'talk', after: 0 },
      100,
      1500,
    ).values.catch(
      (error: Error) => JSON.parse(error.message.replace(/^timed out with \d+\/\d+ values: /, '')) as Event[],
    );
    expect(texts(benReplay)).toEqual(['hello all', 'psst ben', 'hi ann']);
    // Anonymous readers (no token) see only what is public.
    const anonymous = await server.gql<{ room: { messages: { nodes: Array<{ text: string }> } } }>(HISTORY, {
      room: 'talk',
      first: 10,
    });
    expect(anonymous.data?.room.messages.nodes.map((node) => node.text)).toEqual(['hello all', 'hi ann']);
    const catHistory = await server.gql<{ room: { messages: { nodes: Array<{ text: string }> } } }>(
      HISTORY,
      { room: 'talk', first: 10 },
      cat.auth,
    );
    expect(catHistory.data?.room.messages.nodes.map((node) => node.text)).toEqual(['hello all', 'hi ann']);
    const annHistory = await server.gql<{
      room: {
        messages: {
          nodes: Array<{ text: string; to: string[] | null }>;
          pageInfo: { endCursor: string; hasNextPage: boolean };
        };
      };
    }>(HISTORY, { room: 'talk', first: 2 }, ann.auth);
    expect(annHistory.data?.room.messages.nodes).toEqual([
      { text: 'hello all', to: null, from: { name: 'ann' } },
      { text: 'psst ben', to: [ben.id], from: { name: 'ann' } },
    ]);
    expect(annHistory.data?.room.messages.pageInfo.hasNextPage).toBe(true);
    const next = await server.gql<{
      room: { messages: { nodes: Array<{ text: string }>; pageInfo: { hasNextPage: boolean } } };
    }>(
      HISTORY,
      { room: 'talk', first: 2, after: annHistory.data?.room.messages.pageInfo.endCursor },
      ann.auth,
    );
    expect(next.data?.room.messages.nodes.map((node) => node.text)).toEqual(['hi ann']);
    expect(next.data?.room.messages.pageInfo.hasNextPage).toBe(false);
  });

  test('bad messages get coded errors and store nothing', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string> | undefined, string]> = [
      [{ participantId: ann.id, text: '' }, ann.auth, 'BAD_USER_INPUT'],
      [{ participantId: ann.id, text: 'x'.repeat(4001) }, ann.auth, 'BAD_USER_INPUT'],
      [
        { participantId: ann.id, text: 'to nobody', to: ['no-such-participant'] },
        ann.auth,
        'PARTICIPANT_NOT_FOUND',
      ],
      [{ participantId: ann.id, text: 'as ann' }, ben.auth, 'FORBIDDEN'],
      [{ participantId: ann.id, text: 'no token' }, undefined, 'UNAUTHENTICATED'],
    ];
    for (const [input, auth, code] of cases) {
      const response = await server.gql(SEND, { input }, auth);
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
    }
    const history = await server.gql<{ room: { messages: { nodes: Array<{ text: string }> } } }>(
      HISTORY,
      { room: 'talk', first: 100 },
      ann.auth,
    );
    expect(history.data?.room.messages.nodes.map((node) => node.text)).toEqual([
      'hello all',
      'psst ben',
      'hi ann',
    ]);
    // A flood is cut off with RATE_LIMITED.
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 12; i++) {
      const response = await server.gql(
        SEND,
        { input: { participantId: cat.id, text: `spam ${i}` } },
        cat.auth,
      );
      codes.push(response.errors?.[0]?.extensions?.code);
    }
    expect(codes).toContain('RATE_LIMITED');
  });

  test('attributes: a raised hand is on the participant and in the room events', async () => {
    const live = collect<Event>(server.ws(ann.auth), EVENTS, { room: 'talk' }, 2, 10_000);
    await live.ready;
    const SET = `mutation ($input: SetAttributesInput!) { setAttributes(input: $input) { id attributes } }`;
    const raised = await server.gql<{ setAttributes: { attributes: Record<string, unknown> } }>(
      SET,
      { input: { participantId: ben.id, attributes: { handRaised: true, role: 'speaker' } } },
      ben.auth,
    );
    expect(raised.data?.setAttributes.attributes).toEqual({ handRaised: true, role: 'speaker' });
    await server.gql(SET, { input: { participantId: ben.id, attributes: { handRaised: null } } }, ben.auth);
    const events = (await live.values).map((event) => event.roomEvents);
    expect(events.map((event) => [event.type, event.participantName, event.attributes])).toEqual([
      ['PARTICIPANT_ATTRIBUTES_CHANGED', 'ben', { handRaised: true, role: 'speaker' }],
      ['PARTICIPANT_ATTRIBUTES_CHANGED', 'ben', { role: 'speaker' }],
    ]);
    const room = await server.gql<{ room: { participants: Array<{ name: string; attributes: unknown }> } }>(
      `{ room(id: "talk") { participants { name attributes } } }`,
    );
    expect(room.data?.room.participants.find((p) => p.name === 'ben')?.attributes).toEqual({
      role: 'speaker',
    });
    const tooBig = await server.gql(
      SET,
      { input: { participantId: ben.id, attributes: { blob: 'x'.repeat(5000) } } },
      ben.auth,
    );
    expect(tooBig.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badKey = await server.gql(
      SET,
      { input: { participantId: ben.id, attributes: { 'no spaces': 1 } } },
      ben.auth,
    );
    expect(badKey.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('chat survives a restart: replay and history read it from the database', async () => {
    await server.app.conference.flushEvents();
    await Promise.all([ann, ben, cat].map((participant) => participant.close()));
    await server.stop();
    server = await startTestServer({
      dataDir: server.dataDir,
      ...(databaseUrl ? { env: { DATABASE_URL: `${databaseUrl}?schema=chat_${process.pid}` } } : {}),
    });
    const history = await server.gql<{ room: { messages: { nodes: Array<{ text: string }> } } }>(HISTORY, {
      room: 'talk',
      first: 100,
    });
    expect(history.data?.room.messages.nodes.map((node) => node.text).slice(0, 2)).toEqual([
      'hello all',
      'hi ann',
    ]);
  });
});
