import { randomUUID } from 'node:crypto';
import {
  type ClusterNode,
  clusterDatabase,
  clusterPrefix,
  contiguous,
  follow,
  startNode,
  until,
} from '../helpers/clusterNodes';
import { TestParticipant } from '../helpers/participant';
import { POSTGRES_URL } from '../helpers/server';

const ROOM = `query ($id: ID!) { room(id: $id) { id name open node { id } participants { id name streams { id } } } }`;

const run = POSTGRES_URL ? describe : describe.skip;

run('a cluster of three nodes on Redis and PostgreSQL', () => {
  jest.setTimeout(120_000);
  const prefix = clusterPrefix();
  const database = clusterDatabase(POSTGRES_URL ?? '');
  const options = { databaseUrl: database.url, prefix, env: { SUBSCRIPTIONS_PER_ROOM: '6' } };
  let nodes: ClusterNode[] = [];
  const participants: TestParticipant[] = [];

  beforeAll(async () => {
    nodes = await Promise.all(
      ['a', 'b', 'c'].map((id) => startNode(`${id}-${prefix.slice(5, 13)}`, options)),
    );
  });

  afterAll(async () => {
    await Promise.all(participants.map((participant) => participant.close().catch(() => undefined)));
    await Promise.all(nodes.map((node) => node.disconnect()));
    await Promise.all(nodes.map((node) => node.kill()));
    await database.drop();
  });

  it('serves one room from any node: media both ways, the same room everywhere, events in order on each', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const roomId = `cluster-${randomUUID().slice(0, 8)}`;
    const created = await a.gql<{ createRoom: { node: { id: string } } }>(
      `mutation ($id: ID!) { createRoom(input: { id: $id }) { node { id } } }`,
      { id: roomId },
    );
    expect(created.errors).toBeUndefined();
    const holder = created.data!.createRoom.node.id;
    expect(nodes.map((node) => node.id)).toContain(holder);

    const onC = follow(c, roomId, 0);
    const ada = await TestParticipant.join(b, roomId, 'Ada');
    const bob = await TestParticipant.join(c, roomId, 'Bob');
    participants.push(ada, bob);
    await ada.waitForMediaFrom([bob], 15_000);
    await bob.waitForMediaFrom([ada], 15_000);

    const answers = await Promise.all(nodes.map((node) => node.gql(ROOM, { id: roomId })));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const shapes = answers.map((answer) => {
      const room = answer.data!.room as { participants: Array<{ name: string }> };
      return { ...room, participants: [...room.participants].sort((x, y) => x.name.localeCompare(y.name)) };
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
    expect(shapes[0]!.participants.map((participant) => participant.name)).toEqual(['Ada', 'Bob']);
    expect((answers[0]!.data!.room as { node: { id: string } }).node.id).toBe(holder);

    // Each node replays the same events, contiguous from 1; the live follower on C saw them too.
    const replays = nodes.map((node) => follow(node, roomId, 0));
    await until(() => replays.every((replay) => replay.events.length >= 2), 10_000, 'replays');
    await until(() => onC.events.length >= replays[0]!.events.length, 10_000, 'live events on C');
    for (const replay of replays) {
      replay.stop();
      expect(replay.errors).toEqual([]);
      expect(contiguous(replay.events)).toBe(true);
      expect(replay.events.map((event) => event.sequence)).toEqual(
        replays[0]!.events.map((event) => event.sequence),
      );
    }
    const joinedOnC = onC.events.filter((event) => event.type === 'PARTICIPANT_JOINED');
    expect(joinedOnC.map((event) => event.participantId).sort()).toEqual([ada.id, bob.id].sort());
    expect(contiguous(onC.events)).toBe(true);
    onC.stop();

    // The holder is the node placement chose, not the nodes the participants came through.
    const holderNode = nodes.find((node) => node.id === holder)!;
    const health = (await (await fetch(`${holderNode.url}/healthz`)).json()) as { node: { id: string } };
    expect(health.node.id).toBe(holder);
    // Pinned: created on the node named, whichever node was asked.
    const pinned = await a.gql<{ createRoom: { node: { id: string } } }>(
      `mutation ($id: ID!, $node: ID!) { createRoom(input: { id: $id, node: $node }) { node { id } } }`,
      { id: `${roomId}-pinned`, node: c.id },
    );
    expect(pinned.data?.createRoom.node.id).toBe(c.id);
    const again = await b.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`, {
      id: `${roomId}-pinned`,
    });
    expect(again.errors?.[0]?.extensions?.code).toBe('ROOM_EXISTS');
    const listed = await b.gql<{ nodes: Array<{ id: string; alive: boolean; rooms: number }> }>(
      `{ nodes { id alive rooms } }`,
    );
    expect(listed.data!.nodes.map((node) => node.id).sort()).toEqual(nodes.map((node) => node.id).sort());
    expect(listed.data!.nodes.every((node) => node.alive)).toBe(true);
  });

  it('counts SUBSCRIPTIONS_PER_ROOM over the whole cluster', async () => {
    const roomId = `subs-${randomUUID().slice(0, 8)}`;
    await nodes[0]!.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`, { id: roomId });
    const followers = [];
    for (const node of nodes) {
      for (let n = 0; n < 2; n++) followers.push(follow(node, roomId, null));
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(followers.flatMap((follower) => follower.errors)).toEqual([]);
    const refused = nodes.map((node) => follow(node, roomId, null));
    await until(() => refused.every((follower) => follower.errors.length > 0), 5000, 'the refusals');
    for (const follower of refused)
      expect(JSON.stringify(follower.errors)).toContain('TOO_MANY_SUBSCRIPTIONS');
    for (const follower of [...followers, ...refused]) follower.stop();
  });

  it('takes a room over when its node dies: NODE_FAILURE within 5 s, numbering continues, rejoin works', async () => {
    const roomId = `failover-${randomUUID().slice(0, 8)}`;
    const [a] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    await a.gql(`mutation ($id: ID!) { createRoom(input: { id: $id }) { id } }`, { id: roomId });
    const holderId = ((await a.gql(ROOM, { id: roomId })).data!.room as { node: { id: string } }).node.id;
    const holder = nodes.find((node) => node.id === holderId)!;
    const survivors = nodes.filter((node) => node !== holder) as [ClusterNode, ClusterNode];

    const ada = await TestParticipant.join(survivors[0], roomId, 'Ada');
    const bob = await TestParticipant.join(survivors[1], roomId, 'Bob');
    participants.push(ada, bob);
    await ada.waitForMediaFrom([bob], 15_000);

    const watcher = follow(survivors[0], roomId, 0);
    await until(
      () => watcher.events.filter((e) => e.type === 'PARTICIPANT_JOINED').length === 2,
      10_000,
      'joins',
    );
    const killedAt = Date.now();
    await holder.kill();
    await until(
      () => watcher.events.filter((event) => event.reason === 'NODE_FAILURE').length === 2,
      10_000,
      'NODE_FAILURE departures',
    );
    const detectedMs = Date.now() - killedAt;
    expect(detectedMs).toBeLessThanOrEqual(5_000);
    const failures = watcher.events.filter((event) => event.reason === 'NODE_FAILURE');
    expect(failures.map((event) => event.type)).toEqual(['PARTICIPANT_LEFT', 'PARTICIPANT_LEFT']);
    expect(failures.map((event) => event.participantId).sort()).toEqual([ada.id, bob.id].sort());
    expect(contiguous(watcher.events)).toBe(true);

    await ada.close();
    await bob.close();
    // A new call in the same room through the survivors, with media.
    const cleo = await TestParticipant.join(survivors[1], roomId, 'Cleo');
    const dan = await TestParticipant.join(survivors[0], roomId, 'Dan');
    participants.push(cleo, dan);
    await cleo.waitForMediaFrom([dan], 15_000);
    await dan.waitForMediaFrom([cleo], 15_000);

    await until(
      () => watcher.events.filter((e) => e.type === 'PARTICIPANT_JOINED').length === 4,
      10_000,
      'rejoins',
    );
    watcher.stop();
    for (const node of survivors) {
      const replay = follow(node, roomId, 0);
      await until(() => replay.events.length >= watcher.events.length, 10_000, 'replay after failover');
      replay.stop();
      expect(contiguous(replay.events)).toBe(true);
      expect(replay.events.slice(0, watcher.events.length)).toEqual(watcher.events);
    }
    console.log(`cluster failover: NODE_FAILURE seen ${detectedMs} ms after SIGKILL`);
  });
});
