/**
 * `join` over graphql-ws: the connection that joined speaks for its participant from then on, so a
 * client opens one socket, joins on it and follows its negotiation on it (no HTTP request, no
 * second connection). Other connections gain nothing; a join token on the connection is used again
 * for the next join once the participant has left.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AccessTokens } from '../../src/access/AccessTokens';
import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestPeer } from '../helpers/weriftPeer';

jest.setTimeout(60_000);

const JOIN = `mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id } } }`;
const NEGOTIATION = `subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }`;
const ANSWER = `mutation ($input: AnswerInput!) { answer(input: $input) }`;
const LEAVE = `mutation ($id: ID!) { leave(participantId: $id) }`;

type Result<T> = { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

/**
 * One operation's result on `socket`. Not disposed in `next`: graphql-ws would count that and the
 * server's `complete` twice, and close the socket when its count of operations reaches zero.
 */
function once<T>(socket: Client, query: string, variables: Record<string, unknown>): Promise<Result<T>> {
  return new Promise((resolve, reject) => {
    socket.subscribe<T>(
      { query, variables },
      {
        next: (value) => resolve(value as Result<T>),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => undefined,
      },
    );
  });
}

/** Joins with `peer` over `socket`, then answers every server offer on the same socket. */
async function joinOverSocket(socket: Client, peer: TestPeer, roomId: string, name: string) {
  const joined = await once<{ join: { answer: string; token: string; participant: { id: string } } }>(
    socket,
    JOIN,
    { input: { roomId, name, offer: await peer.createOffer() } },
  );
  if (!joined.data) throw new Error(`join failed: ${JSON.stringify(joined.errors)}`);
  const { answer, participant } = joined.data.join;
  await peer.acceptAnswer(answer);
  const answered: number[] = [];
  const errors: unknown[] = [];
  let chain = Promise.resolve();
  socket.subscribe<{ negotiation: { revision: number; sdp: string } }>(
    { query: NEGOTIATION, variables: { id: participant.id } },
    {
      next: (value) => {
        const offer = value.data?.negotiation;
        if (!offer) return void errors.push(value.errors);
        chain = chain.then(async () => {
          const sdp = await peer.acceptOffer(offer.sdp);
          const result = await once(socket, ANSWER, {
            input: { participantId: participant.id, revision: offer.revision, sdp },
          });
          if (result.errors) errors.push(result.errors);
          else answered.push(offer.revision);
        });
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return { id: participant.id, token: joined.data.join.token, answered, errors };
}

const sockets: Client[] = [];
/** A socket kept open between operations (a lazy one closes when none runs, losing the join). */
function socketTo(server: TestServer, connectionParams?: Record<string, unknown>): Client {
  const socket = createClient({
    url: `${server.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
  });
  sockets.push(socket);
  return socket;
}
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
});

describe('join over graphql-ws (open mode)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.dispose());

  test('the joining socket negotiates, answers and leaves for its participant; another socket may not', async () => {
    const alice = await TestParticipant.join(server, 'socket-join', 'alice');
    const peer = new TestPeer({ publish: { audio: true, video: false } });
    const socket = socketTo(server);
    try {
      const bob = await joinOverSocket(socket, peer, 'socket-join', 'bob');
      // Alice's streams reach Bob through a server offer answered on his socket.
      await peer.waitFor(() => peer.received(alice.peer.streamId).video > 20, 10_000, "Alice's video");
      expect(bob.answered.length).toBeGreaterThan(0);
      expect(bob.errors).toEqual([]);

      // A connection that did not join gains nothing from Bob's join.
      const stranger = await once(socketTo(server), NEGOTIATION, { id: bob.id });
      expect(stranger.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      expect((await once<{ leave: boolean }>(socket, LEAVE, { id: bob.id })).data).toEqual({ leave: true });
      const room = await server.gql<{ room: { participants: Array<{ name: string }> } }>(
        `query { room(id: "socket-join") { participants { name } } }`,
      );
      expect(room.data?.room.participants.map((p) => p.name)).toEqual(['alice']);
    } finally {
      await peer.close();
      await alice.close();
      await server.disconnect();
    }
  });
});

describe('join over graphql-ws (secured mode)', () => {
  const API_KEY = 'socket-key';
  const API_SECRET = 'socket-secret-0123456789abcdef0123456789';
  const tokens = new AccessTokens(API_KEY, API_SECRET);
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { API_KEY, API_SECRET } });
    const admin = { authorization: `Bearer ${tokens.mintAdminToken()}` };
    await server.gql(`mutation { createRoom(input: { id: "secured-socket" }) { id } }`, undefined, admin);
  });
  afterAll(() => server?.dispose());

  test('the join token on the connection joins; after leaving, the socket joins again with it', async () => {
    const joinToken = tokens.mintJoinToken({ room: 'secured-socket', identity: 'cleo', name: 'Cleo' });
    const socket = socketTo(server, { authorization: `Bearer ${joinToken}` });
    const first = new TestPeer({ publish: { audio: true, video: false } });
    const second = new TestPeer({ publish: { audio: true, video: false } });
    try {
      const cleo = await joinOverSocket(socket, first, 'secured-socket', 'ignored');
      expect((await once(socket, LEAVE, { id: cleo.id })).data).toEqual({ leave: true });
      const again = await joinOverSocket(socket, second, 'secured-socket', 'ignored');
      expect(again.id).not.toBe(cleo.id);
      expect((await once(socket, LEAVE, { id: again.id })).data).toEqual({ leave: true });
      // The old participant's rights are gone with it.
      expect((await once(socket, LEAVE, { id: cleo.id })).errors?.[0]?.extensions?.code).toMatch(
        /FORBIDDEN|PARTICIPANT_NOT_FOUND/,
      );
    } finally {
      await first.close();
      await second.close();
      await server.disconnect();
    }
  });
});
