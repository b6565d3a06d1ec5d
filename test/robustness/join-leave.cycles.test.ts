import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestPeer } from '../helpers/weriftPeer';

// A real collection before each heap reading, so growth means retained memory, not garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const heapAfterGc = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
};

const JOIN = `mutation ($input: JoinInput!) { join(input: $input) { token participant { id } } }`;
const LEAVE = `mutation ($id: ID!) { leave(participantId: $id) }`;

describe('1,000 join/leave cycles', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.dispose());

  test('leave no medooze transports or streams behind, and the heap settles (grows < 10 MB over 900 cycles after warm-up)', async () => {
    const probe = new TestPeer();
    const offer = await probe.createOffer();
    await probe.close();
    const cycle = async (index: number) => {
      // Every 50th cycle is a real peer that connects and receives media before it leaves.
      if (index % 50 === 0) {
        const real = await TestParticipant.join(server, 'churn', `real-${index}`);
        await real.leave();
        return;
      }
      const response = await server.gql<{ join: { token: string; participant: { id: string } } }>(JOIN, {
        input: { roomId: 'churn', name: `signal-${index}`, offer },
      });
      const { token, participant } = response.data!.join;
      await server.gql(LEAVE, { id: participant.id }, { authorization: `Bearer ${token}` });
    };

    for (let index = 0; index < 100; index++) await cycle(index);
    const warmHeap = await heapAfterGc();
    for (let index = 100; index < 1000; index++) await cycle(index);
    await server.app.conference.flushEvents();
    // A leave is answered before medooze has released the transport; wait for that.
    await server.app.media.settled();
    const finalHeap = await heapAfterGc();

    expect(server.app.conference.stats().participants).toBe(0);
    expect(server.app.media.openPeers()).toEqual([]);
    expect(server.app.media.nativeObjects()).toEqual({
      transports: 0,
      incomingStreams: 0,
      outgoingStreams: 0,
    });
    const sessions = await server.app.database.prisma.participantSession.count({
      where: { roomId: 'churn' },
    });
    const open = await server.app.database.prisma.participantSession.count({
      where: { roomId: 'churn', leftAt: null },
    });
    expect({ sessions, open }).toEqual({ sessions: 1000, open: 0 });
    const growthMb = (finalHeap - warmHeap) / 1024 / 1024;
    console.log(
      `heap after warm-up ${(warmHeap / 1024 / 1024).toFixed(1)} MB, after 1,000 cycles ${(finalHeap / 1024 / 1024).toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(10);
  }, 300_000);
});
