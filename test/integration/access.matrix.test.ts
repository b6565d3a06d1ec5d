import jwt from 'jsonwebtoken';
import { AccessTokens } from '../../src/access/AccessTokens';
import { TestParticipant } from '../helpers/participant';
import { collect, startTestServer, tracksOf, type TestServer } from '../helpers/server';
import { TestPeer } from '../helpers/weriftPeer';

/**
 * Secured mode: every operation against every kind of wrong credential, each cell with its exact
 * error code. Real server, real peers, real tokens.
 */
const API_KEY = 'matrix-key';
const API_SECRET = 'matrix-secret-0123456789abcdef0123456789';
const tokens = new AccessTokens(API_KEY, API_SECRET);

type Credential =
  | 'none'
  | 'expired'
  | 'forged'
  | 'joinTokenOtherRoom'
  | 'participantOtherRoom'
  | 'participantSameRoom'
  | 'joinTokenNoGrants'
  | 'ownParticipantNoAdmin';

interface Operation {
  name: string;
  kind: 'query' | 'mutation' | 'subscription';
  document: string;
  variables: () => Record<string, unknown>;
  /** Expected code per credential; `ok` for a cell that must succeed. */
  expect: Partial<Record<Credential, string>>;
}

const AUTH_FAILURES = { none: 'UNAUTHENTICATED', expired: 'TOKEN_EXPIRED', forged: 'INVALID_TOKEN' } as const;
/** Admin-only (or roomAdmin-only) operations: members of the room without the grant are refused too. */
const NOT_FOR_MEMBERS = {
  ...AUTH_FAILURES,
  joinTokenOtherRoom: 'FORBIDDEN',
  participantOtherRoom: 'FORBIDDEN',
  joinTokenNoGrants: 'FORBIDDEN',
  ownParticipantNoAdmin: 'FORBIDDEN',
} as const;
/** Reading a room: its members may, nobody else. */
const ROOM_MEMBERS_ONLY = {
  ...NOT_FOR_MEMBERS,
  joinTokenNoGrants: 'ok',
  ownParticipantNoAdmin: 'ok',
} as const;

describe('secured mode: the authorization matrix', () => {
  let server: TestServer;
  let alice: TestParticipant;
  let bob: TestParticipant;
  let carol: TestParticipant;
  let credentials: Record<Credential, string | undefined>;
  let sendOffer: string;
  let alicesAudio: string;
  /** A recording the application started in matrix-a: nobody else may stop it. */
  let recordingId: string;
  const admin = tokens.mintAdminToken();
  const asAdmin = { authorization: `Bearer ${admin}` };

  beforeAll(async () => {
    server = await startTestServer({ env: { API_KEY, API_SECRET } });
    for (const id of ['matrix-a', 'matrix-b']) {
      const created = await server.gql(
        `mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`,
        { id },
        asAdmin,
      );
      expect(created.errors).toBeUndefined();
    }
    const join = (room: string, identity: string, grants = {}) =>
      tokens.mintJoinToken({ room, identity, name: identity, grants });
    alice = await TestParticipant.join(server, 'matrix-a', 'ignored', {
      joinToken: join('matrix-a', 'alice'),
    });
    bob = await TestParticipant.join(server, 'matrix-a', 'ignored', { joinToken: join('matrix-a', 'bob') });
    carol = await TestParticipant.join(server, 'matrix-b', 'ignored', {
      joinToken: join('matrix-b', 'carol'),
    });
    alicesAudio = (await tracksOf(server, 'matrix-a', asAdmin)).find(
      (t) => t.participant === 'alice' && t.kind === 'AUDIO',
    )!.id;
    const offerer = new TestPeer();
    sendOffer = await offerer.createOffer();
    await offerer.close();
    const now = Math.floor(Date.now() / 1000);
    credentials = {
      none: undefined,
      expired: jwt.sign(
        {
          room: 'matrix-a',
          grants: { canPublish: true, canSubscribe: true, roomAdmin: true },
          iat: now - 7200,
          exp: now - 3600,
        },
        API_SECRET,
        { issuer: API_KEY, subject: 'late' },
      ),
      forged: new AccessTokens(API_KEY, 'another-secret-0123456789abcdef0123456789').mintJoinToken({
        room: 'matrix-a',
        identity: 'mallory',
        grants: { roomAdmin: true },
      }),
      joinTokenOtherRoom: join('matrix-b', 'dave', { roomAdmin: true }),
      participantOtherRoom: carol.token,
      participantSameRoom: bob.token,
      joinTokenNoGrants: join('matrix-a', 'erin'),
      ownParticipantNoAdmin: alice.token,
    };
    const recording = await server.gql<{ startRecording: { id: string } }>(
      `mutation { startRecording(roomId: "matrix-a") { id } }`,
      {},
      asAdmin,
    );
    recordingId = recording.data!.startRecording.id;
  });

  afterAll(async () => {
    await Promise.all([alice, bob, carol].map((p) => p?.close()));
    await server.dispose();
  });

  const participantOp = (
    name: string,
    kind: Operation['kind'],
    document: string,
    variables: () => Record<string, unknown>,
  ): Operation => ({
    name,
    kind,
    document,
    variables,
    expect: {
      ...AUTH_FAILURES,
      joinTokenOtherRoom: 'FORBIDDEN',
      participantOtherRoom: 'FORBIDDEN',
      participantSameRoom: 'FORBIDDEN',
      joinTokenNoGrants: 'FORBIDDEN',
    },
  });

  const operations: Operation[] = [
    {
      name: 'rooms',
      kind: 'query',
      document: `query { rooms { totalCount } }`,
      variables: () => ({}),
      expect: NOT_FOR_MEMBERS,
    },
    {
      name: 'room',
      kind: 'query',
      document: `query { room(id: "matrix-a") { id participants { id } } }`,
      variables: () => ({}),
      expect: ROOM_MEMBERS_ONLY,
    },
    {
      name: 'createRoom',
      kind: 'mutation',
      document: `mutation { createRoom(input: { id: "matrix-new" }) { id } }`,
      variables: () => ({}),
      expect: NOT_FOR_MEMBERS,
    },
    {
      name: 'closeRoom',
      kind: 'mutation',
      document: `mutation { closeRoom(id: "matrix-a") { id } }`,
      variables: () => ({}),
      expect: NOT_FOR_MEMBERS,
    },
    {
      name: 'join',
      kind: 'mutation',
      document: `mutation ($offer: String!) { join(input: { roomId: "matrix-a", name: "x", offer: $offer }) { token } }`,
      variables: () => ({ offer: sendOffer }),
      expect: {
        ...AUTH_FAILURES,
        joinTokenOtherRoom: 'FORBIDDEN',
        participantOtherRoom: 'FORBIDDEN',
        ownParticipantNoAdmin: 'FORBIDDEN',
      },
    },
    {
      name: 'kickParticipant',
      kind: 'mutation',
      document: `mutation ($id: ID!) { kickParticipant(participantId: $id, ban: true) }`,
      variables: () => ({ id: bob.id }),
      expect: { ...NOT_FOR_MEMBERS, participantSameRoom: 'FORBIDDEN' },
    },
    {
      name: 'startRecording',
      kind: 'mutation',
      document: `mutation { startRecording(roomId: "matrix-a") { id } }`,
      variables: () => ({}),
      expect: { ...NOT_FOR_MEMBERS, participantSameRoom: 'FORBIDDEN' },
    },
    {
      name: 'stopRecording',
      kind: 'mutation',
      document: `mutation ($id: ID!) { stopRecording(id: $id) { id } }`,
      variables: () => ({ id: recordingId }),
      expect: { ...NOT_FOR_MEMBERS, participantSameRoom: 'FORBIDDEN' },
    },
    {
      name: 'muteTrack',
      kind: 'mutation',
      document: `mutation ($track: ID!) { muteTrack(trackId: $track, roomId: "matrix-a") }`,
      variables: () => ({ track: alicesAudio }),
      expect: { ...NOT_FOR_MEMBERS, participantSameRoom: 'FORBIDDEN' },
    },
    participantOp(
      'answer',
      'mutation',
      `mutation ($id: ID!) { answer(input: { participantId: $id, revision: 1, sdp: "v=0" }) }`,
      () => ({
        id: alice.id,
      }),
    ),
    participantOp(
      'renegotiate',
      'mutation',
      `mutation ($id: ID!, $offer: String!) { renegotiate(input: { participantId: $id, offer: $offer }) { revision } }`,
      () => ({ id: alice.id, offer: sendOffer }),
    ),
    participantOp(
      'setTrackMuted',
      'mutation',
      `mutation ($id: ID!, $track: ID!) { setTrackMuted(input: { participantId: $id, trackId: $track, muted: true }) }`,
      () => ({ id: alice.id, track: alicesAudio }),
    ),
    participantOp(
      'setPreferredLayer',
      'mutation',
      `mutation ($id: ID!) { setPreferredLayer(input: { participantId: $id, streamId: "any", spatial: 0 }) }`,
      () => ({ id: alice.id }),
    ),
    participantOp('leave', 'mutation', `mutation ($id: ID!) { leave(participantId: $id) }`, () => ({
      id: alice.id,
    })),
    participantOp(
      'negotiation',
      'subscription',
      `subscription ($id: ID!) { negotiation(participantId: $id) { revision } }`,
      () => ({
        id: alice.id,
      }),
    ),
    {
      name: 'roomEvents',
      kind: 'subscription',
      document: `subscription { roomEvents(roomId: "matrix-a", after: 0) { sequence type } }`,
      variables: () => ({}),
      expect: ROOM_MEMBERS_ONLY,
    },
  ];

  /** The error code an operation gets with a credential (`ok` when it succeeds). */
  async function attempt(operation: Operation, token: string | undefined): Promise<string> {
    const authorization = token ? `Bearer ${token}` : undefined;
    if (operation.kind !== 'subscription') {
      const response = await server.gql(
        operation.document,
        operation.variables(),
        authorization ? { authorization } : {},
      );
      return response.errors?.[0]?.extensions?.code ?? 'ok';
    }
    const socket = server.ws(authorization ? { authorization } : {});
    try {
      // A refused subscription errors at once; an accepted one replays stored events (roomEvents, after: 0).
      await collect(socket, operation.document, operation.variables(), 1, 3000).values;
      return 'ok';
    } catch (error) {
      const errors = (error as { errors?: Array<{ extensions?: { code?: string } }> }).errors;
      return errors?.[0]?.extensions?.code ?? `unexpected: ${String(error)}`;
    } finally {
      await socket.dispose();
    }
  }

  test('each operation refuses each wrong credential with its exact code', async () => {
    const got: Record<string, Partial<Record<Credential, string>>> = {};
    const wanted: Record<string, Partial<Record<Credential, string>>> = {};
    for (const operation of operations) {
      got[operation.name] = {};
      wanted[operation.name] = operation.expect;
      for (const credential of Object.keys(operation.expect) as Credential[]) {
        got[operation.name]![credential] = await attempt(operation, credentials[credential]);
      }
    }
    expect(got).toEqual(wanted);
    // Nothing was harmed: everyone is still in, the room is open, no room was created.
    const room = await server.gql<{ room: { open: boolean; participants: Array<{ name: string }> } }>(
      `query { room(id: "matrix-a") { open participants { name } } }`,
      {},
      asAdmin,
    );
    expect(room.data!.room.open).toBe(true);
    expect(room.data!.room.participants.map((p) => p.name).sort()).toEqual(['alice', 'bob']);
    const recordings = await server.gql<{ room: { recordings: unknown[] } }>(
      `query { room(id: "matrix-a") { recordings { id state } } }`,
      {},
      asAdmin,
    );
    expect(recordings.data!.room.recordings).toEqual([{ id: recordingId, state: 'RECORDING' }]);
    const created = await server.gql(`query { room(id: "matrix-new") { id } }`, {}, asAdmin);
    expect(created.errors?.[0]?.extensions?.code).toBe('ROOM_NOT_FOUND');
  });

  test('the admin token may do everything server-wide; join tokens only what their room and grants allow', async () => {
    const list = await server.gql<{ rooms: { totalCount: number } }>(
      `query { rooms { totalCount } }`,
      {},
      asAdmin,
    );
    expect(list.data?.rooms.totalCount).toBe(2);
    const events = collect<{ roomEvents: { type: string } }>(
      server.ws({ authorization: `Bearer ${admin}` }),
      `subscription { roomEvents(roomId: "matrix-b", after: 0) { type } }`,
      {},
      2,
    );
    expect((await events.values).map((e) => e.roomEvents.type)).toEqual([
      'PARTICIPANT_JOINED',
      'STREAM_PUBLISHED',
    ]);
    // An admin token is for the application, not for joining.
    const joined = await server.gql(
      `mutation ($offer: String!) { join(input: { roomId: "matrix-a", name: "x", offer: $offer }) { token } }`,
      { offer: sendOffer },
      asAdmin,
    );
    expect(joined.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
