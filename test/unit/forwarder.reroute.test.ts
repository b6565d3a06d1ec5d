import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Forwarder } from '../../src/api/cluster/Forwarder';
import type { ClusterGateway, NodeView } from '../../src/api/cluster/gateway';
import { DomainError } from '../../src/shared/errors';

/**
 * The node an operation is forwarded to may have let its room go as the operation reached it (a
 * drain hands rooms over right after other nodes looked the holder up): it answers ROOM_ELSEWHERE
 * before anything ran, and the operation goes to the room's next holder. Two loopback HTTP
 * servers stand in for the nodes; the gateway's holder is whatever the test says.
 */
describe('Forwarder.run', () => {
  const servers: Server[] = [];
  let asked: Record<string, number>;
  let holder: string;

  async function node(id: string, answer: () => unknown): Promise<NodeView> {
    const server = createServer((req, res) => {
      asked[id] = (asked[id] ?? 0) + 1;
      req.resume().on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer()));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { id, url, alive: true, draining: false, rooms: 1, participants: 0, streams: 0, load: 0 };
  }

  const notHolder = {
    errors: [{ message: 'Room "r" is held by another node.', extensions: { code: 'ROOM_ELSEWHERE' } }],
  };
  const joined = { data: { join: { participantId: 'p' } } };

  async function forwarder(nodes: NodeView[]): Promise<Forwarder> {
    const gateway = {
      nodeId: 'entry',
      internalSecret: 'secret',
      holderOf: async () => holder,
      node: async (id: string) => nodes.find((n) => n.id === id),
      placement: async () => nodes[0]!,
      claim: async () => false,
    } as unknown as ClusterGateway;
    return new Forwarder(gateway, { room: () => false, participant: () => false });
  }

  beforeEach(() => {
    asked = {};
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const body = { query: 'mutation { join(input: { roomId: "r" }) { participantId } }' };

  test('an answer of ROOM_ELSEWHERE sends the operation to the next holder', async () => {
    const drained = await node('drained', () => {
      holder = 'next';
      return notHolder;
    });
    const next = await node('next', () => joined);
    holder = 'drained';
    const answer = await (
      await forwarder([drained, next])
    ).run({ roomId: 'r', place: true }, false, () => body, 't', '127.0.0.1');
    expect(answer?.result).toEqual(joined);
    expect(asked).toEqual({ drained: 1, next: 1 });
  });

  test('other answers, errors included, come back as they were', async () => {
    const full = { errors: [{ message: 'The room is full.', extensions: { code: 'ROOM_FULL' } }] };
    const holding = await node('holding', () => full);
    holder = 'holding';
    const answer = await (
      await forwarder([holding])
    ).run({ roomId: 'r', place: true }, false, () => body, 't', '127.0.0.1');
    expect(answer?.result).toEqual(full);
    expect(asked).toEqual({ holding: 1 });
  });

  test('a room that stays between nodes is SERVICE_UNAVAILABLE after three tries', async () => {
    const stale = await node('stale', () => notHolder);
    holder = 'stale';
    const run = (await forwarder([stale])).run(
      { roomId: 'r', place: true },
      false,
      () => body,
      't',
      '127.0.0.1',
    );
    await expect(run).rejects.toBeInstanceOf(DomainError);
    await expect(run).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryAfterMs: 500 } });
    expect(asked).toEqual({ stale: 3 });
  });
});
