import { randomUUID } from 'node:crypto';
import {
  type ClusterNode,
  clusterPrefix,
  contiguous,
  follow,
  startNode,
  until,
} from '../helpers/clusterNodes';
import { TestParticipant } from '../helpers/participant';
import { type PrivatePostgres, startPrivatePostgres } from '../helpers/privatePostgres';
import { type PrivateRedis, startPrivateRedis } from '../helpers/privateRedis';
import { graphqlEndpoint } from '../helpers/server';

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;

const redisOk = async (node: ClusterNode) => {
  const health = (await (await fetch(`${node.url}/healthz`)).json()) as { node?: { redis: string } };
  return health.node?.redis === 'ok';
};
const videoFrom = (to: TestParticipant, from: TestParticipant) => to.peer.received(from.peer.streamId).video;
const errorCodes = (participant: TestParticipant) =>
  JSON.stringify(participant.errors).match(/"code":"([A-Z_]+)"/g) ?? [];

/**
 * Two nodes on a Redis and a PostgreSQL of this file's own, so they can be stopped and started:
 * calls keep their media through either outage, nothing is lost, and a drained node's room moves.
 */
describe('a cluster through Redis and PostgreSQL outages, and a drain', () => {
  jest.setTimeout(180_000);
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let a: ClusterNode;
  let b: ClusterNode;
  const participants: TestParticipant[] = [];
  const roomId = `outage-${randomUUID().slice(0, 8)}`;
  let ada: TestParticipant;
  let bob: TestParticipant;
  let watcher: ReturnType<typeof follow>;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
    const options = { databaseUrl: postgres.url, redisUrl: redis.url, prefix: clusterPrefix() };
    a = await startNode('a', options);
    b = await startNode('b', options);
    const created = await a.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { node { id } } }`, {
      id: roomId,
    });
    expect(created.data).toEqual({ createRoom: { node: { id: 'a' } } });
    // Ada's socket is on the node that does not hold the room: everything of hers crosses nodes.
    ada = await TestParticipant.join(b, roomId, 'Ada');
    bob = await TestParticipant.join(a, roomId, 'Bob');
    participants.push(ada, bob);
    await ada.waitForMediaFrom([bob], 15_000);
    await bob.waitForMediaFrom([ada], 15_000);
    watcher = follow(b, roomId, 0);
    await until(() => watcher.events.length >= 2, 10_000, 'the first events');
  });

  afterAll(async () => {
    watcher?.stop();
    await Promise.all(participants.map((participant) => participant.close().catch(() => undefined)));
    for (const node of [a, b]) {
      await node?.disconnect();
      await node?.kill();
    }
    await redis?.dispose();
    await postgres?.dispose();
  });

  it('keeps media, participants and events through a Redis restart', async () => {
    const before = videoFrom(ada, bob);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Forwarded by nobody: media goes straight between the peers and the holder.
    expect(videoFrom(ada, bob)).toBeGreaterThan(before + 30);
    await redis.start();
    await until(async () => (await redisOk(a)) && (await redisOk(b)), 15_000, 'both nodes back on Redis');
    // The room is still held by A; Ada (routed through B again) and Bob still in it; nobody left.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sent = await b.gql(SEND, { input: { participantId: ada.id, text: 'still here' } }, ada.auth);
    expect(sent.errors).toBeUndefined();
    await until(() => watcher.events.some((event) => event.type === 'MESSAGE'), 10_000, 'the message on B');
    expect(watcher.events.filter((event) => event.type === 'PARTICIPANT_LEFT')).toEqual([]);
    expect(contiguous(watcher.events)).toBe(true);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    expect(ada.errors).toEqual([]);
  });

  it('keeps media through a PostgreSQL restart and stores every event once it is back', async () => {
    await postgres.stop();
    const before = videoFrom(bob, ada);
    const sent = await a.gql(SEND, { input: { participantId: bob.id, text: 'during the outage' } }, bob.auth);
    expect(sent.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(videoFrom(bob, ada)).toBeGreaterThan(before + 20);
    await postgres.start();
    // B hears of the message once A stored it.
    await until(
      () => watcher.events.filter((event) => event.type === 'MESSAGE').length === 2,
      20_000,
      'the stored message',
    );
    expect(contiguous(watcher.events)).toBe(true);
    const replay = follow(b, roomId, 0);
    await until(() => replay.events.length >= watcher.events.length, 10_000, 'a replay');
    replay.stop();
    expect(replay.events.slice(0, watcher.events.length)).toEqual(watcher.events);
  });

  it('moves the room when its node is drained: ROOM_MOVED with where, rejoin there, media again', async () => {
    const last = watcher.events.at(-1)!.sequence;
    const code = await a.terminate();
    expect(code).toBe(0);
    await until(() => errorCodes(ada).length > 0 && errorCodes(bob).length > 0, 5000, 'ROOM_MOVED notices');
    expect(errorCodes(ada)).toEqual(['"code":"ROOM_MOVED"']);
    expect(errorCodes(bob)).toEqual(['"code":"ROOM_MOVED"']);
    const url = /"url":"([^"]+)"/.exec(JSON.stringify(bob.errors))?.[1];
    expect(url).toBe(b.url);
    await ada.close();
    await bob.close();
    const there = graphqlEndpoint(url!);
    const cleo = await TestParticipant.join(there, roomId, 'Cleo');
    const dan = await TestParticipant.join(there, roomId, 'Dan');
    participants.push(cleo, dan);
    await cleo.waitForMediaFrom([dan], 15_000);
    await dan.waitForMediaFrom([cleo], 15_000);
    const room = await b.gql<{ room: { node: { id: string } } }>(
      `query ($id: ID!) { room(id: $id) { node { id } } }`,
      {
        id: roomId,
      },
    );
    expect(room.data?.room.node.id).toBe('b');
    await until(
      () => watcher.events.filter((e) => e.sequence > last && e.type === 'PARTICIPANT_JOINED').length === 2,
      10_000,
      'rejoins',
    );
    const moved = watcher.events.filter(
      (event) => event.sequence > last && event.type === 'PARTICIPANT_LEFT',
    );
    expect(moved.map((event) => event.reason)).toEqual(['ROOM_MOVED', 'ROOM_MOVED']);
    expect(contiguous(watcher.events)).toBe(true);
  });
});
