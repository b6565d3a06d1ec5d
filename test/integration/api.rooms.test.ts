import { collect, startTestServer, type TestServer } from '../helpers/server';

const ROOM_FIELDS = 'id name open createdAt closedAt maxParticipants metadata';

describe('rooms over GraphQL (HTTP + graphql-ws)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.dispose());

  test('createRoom, room, rooms and closeRoom', async () => {
    const created = await server.gql<{ createRoom: Record<string, unknown> }>(
      `mutation ($input: CreateRoomInput!) { createRoom(input: $input) { ${ROOM_FIELDS} } }`,
      { input: { id: 'standup', name: 'Daily standup', maxParticipants: 8, metadata: { team: 'media' } } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createRoom).toMatchObject({
      id: 'standup',
      name: 'Daily standup',
      open: true,
      closedAt: null,
      maxParticipants: 8,
      metadata: { team: 'media' },
    });

    const fetched = await server.gql<{ room: { id: string; name: string } }>(
      `query { room(id: "standup") { id name } }`,
    );
    expect(fetched.data?.room).toEqual({ id: 'standup', name: 'Daily standup' });

    const listed = await server.gql<{ rooms: { nodes: Array<{ id: string }>; totalCount: number } }>(
      `query { rooms { nodes { id } totalCount } }`,
    );
    expect(listed.data?.rooms.nodes.map((room) => room.id)).toContain('standup');

    const closed = await server.gql<{ closeRoom: { open: boolean; closedAt: string } }>(
      `mutation { closeRoom(id: "standup") { open closedAt } }`,
    );
    expect(closed.data?.closeRoom.open).toBe(false);
    expect(Date.parse(closed.data!.closeRoom.closedAt)).not.toBeNaN();

    const after = await server.gql<{ rooms: { nodes: Array<{ id: string }> } }>(
      `query { rooms { nodes { id } } }`,
    );
    expect(after.data?.rooms.nodes.map((room) => room.id)).not.toContain('standup');
    // Closed rooms remain readable as history.
    const history = await server.gql<{ room: { open: boolean } }>(`query { room(id: "standup") { open } }`);
    expect(history.data?.room.open).toBe(false);
  });

  test('rooms pages through every open room exactly once', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const id of ids)
      await server.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`, { id });
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: Awaited<
        ReturnType<
          typeof server.gql<{
            rooms: {
              nodes: Array<{ id: string }>;
              pageInfo: { endCursor: string | null; hasNextPage: boolean };
            };
          }>
        >
      > = await server.gql(
        `query ($after: String) { rooms(first: 3, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }`,
        {
          after,
        },
      );
      seen.push(...page.data!.rooms.nodes.map((room) => room.id));
      if (!page.data!.rooms.pageInfo.hasNextPage) break;
      after = page.data!.rooms.pageInfo.endCursor;
    }
    const pageRooms = seen.filter((id) => id.startsWith('page-'));
    expect(pageRooms).toEqual(ids);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('roomEvents delivers ROOM_CLOSED and then completes', async () => {
    await server.gql(`mutation { createRoom(input: { id: "watched" }) { id } }`);
    const client = server.ws();
    const events = collect<{ roomEvents: { type: string; sequence: number; roomId: string; at: string } }>(
      client,
      `subscription { roomEvents(roomId: "watched") { type sequence roomId at } }`,
      {},
      1,
    );
    await events.ready;
    await server.gql(`mutation { closeRoom(id: "watched") { id } }`);
    const [event] = await events.values;
    expect(event?.roomEvents).toMatchObject({ type: 'ROOM_CLOSED', roomId: 'watched', sequence: 1 });
  });

  test('unknown ids fail with ROOM_NOT_FOUND, over HTTP and graphql-ws', async () => {
    const query = await server.gql(`query { room(id: "nope") { id } }`);
    expect(query.errors?.[0]?.extensions?.code).toBe('ROOM_NOT_FOUND');
    const close = await server.gql(`mutation { closeRoom(id: "nope") { id } }`);
    expect(close.errors?.[0]?.extensions?.code).toBe('ROOM_NOT_FOUND');
    const subscription = collect(server.ws(), `subscription { roomEvents(roomId: "nope") { type } }`, {}, 1);
    await expect(subscription.values).rejects.toMatchObject({
      errors: [expect.objectContaining({ extensions: { code: 'ROOM_NOT_FOUND' } })],
    });
  });

  test('bad input fails with stable codes and creates nothing', async () => {
    const cases: Array<[string, string]> = [
      [`mutation { createRoom(input: { id: "has spaces" }) { id } }`, 'BAD_USER_INPUT'],
      [`mutation { createRoom(input: { maxParticipants: 0 }) { id } }`, 'BAD_USER_INPUT'],
      [`mutation { createRoom(input: { name: "" }) { id } }`, 'BAD_USER_INPUT'],
      [`mutation { createRoom(input: { maxParticipants: "many" }) { id } }`, 'GRAPHQL_VALIDATION_FAILED'],
      [`query { rooms(first: 0) { totalCount } }`, 'BAD_USER_INPUT'],
      [`query { rooms(after: "bm90LWEtY3Vyc29y") { totalCount } }`, 'BAD_USER_INPUT'],
      [`query { room { id } }`, 'GRAPHQL_VALIDATION_FAILED'],
      [`query { nothing }`, 'GRAPHQL_VALIDATION_FAILED'],
      [`query {`, 'GRAPHQL_PARSE_FAILED'],
    ];
    const before = await server.gql<{ rooms: { totalCount: number } }>(`query { rooms { totalCount } }`);
    for (const [query, code] of cases) {
      const response = await server.gql(query);
      expect({ query, code: response.errors?.[0]?.extensions?.code }).toEqual({ query, code });
    }
    const after = await server.gql<{ rooms: { totalCount: number } }>(`query { rooms { totalCount } }`);
    expect(after.data?.rooms.totalCount).toBe(before.data?.rooms.totalCount);
  });

  test('a taken id fails with ROOM_EXISTS; closing twice with ROOM_CLOSED', async () => {
    await server.gql(`mutation { createRoom(input: { id: "twice" }) { id } }`);
    const again = await server.gql(`mutation { createRoom(input: { id: "twice" }) { id } }`);
    expect(again.errors?.[0]?.extensions?.code).toBe('ROOM_EXISTS');
    await server.gql(`mutation { closeRoom(id: "twice") { id } }`);
    const closeAgain = await server.gql(`mutation { closeRoom(id: "twice") { id } }`);
    expect(closeAgain.errors?.[0]?.extensions?.code).toBe('ROOM_CLOSED');
  });

  test('an oversize body is refused with PAYLOAD_TOO_LARGE and the server keeps serving', async () => {
    const response = await server.gql(`query { rooms { totalCount } }`, {
      padding: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(response.status).toBe(413);
    expect(response.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    const next = await server.gql(`query { rooms { totalCount } }`);
    expect(next.errors).toBeUndefined();
  });

  test('GET /healthz reports the database and media', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      database: { status: 'ok', kind: 'embedded' },
      media: { state: 'running', port: expect.any(Number) },
    });
  });
  test('deep and costly operations are refused with QUERY_TOO_DEEP / QUERY_TOO_COSTLY, over HTTP and graphql-ws', async () => {
    let selection = 'id';
    for (let level = 0; level < 10; level++) selection = `streams { participant { ${selection} } }`;
    const deep = `query { room(id: "x") { participants { ${selection} } } }`;
    expect((await server.gql(deep)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    const deepSubscription = `subscription { roomEvents(roomId: "x") { sequence } } query Deep { room(id: "x") { participants { ${selection} } } }`;
    const viaWs = collect(server.ws(), deepSubscription.replace('subscription {', 'subscription S {'), {}, 1);
    await expect(viaWs.values).rejects.toBeDefined();
    const wide = `query { ${Array.from({ length: 1500 }, (_, i) => `r${i}: rooms { nodes { id name createdAt } }`).join(' ')} }`;
    expect((await server.gql(wide)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    // Ordinary queries still pass.
    expect((await server.gql(`query { rooms { nodes { id } } }`)).errors).toBeUndefined();
  });
});
