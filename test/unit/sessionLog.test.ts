import { SessionLog } from '../../src/conference/SessionLog';
import { MemorySessionRepository } from '../fakes/memoryRepositories';

const stay = (n: number) => ({
  id: `s${n}`,
  roomId: 'room',
  displayName: `p${n}`,
  identity: null,
  joinedAt: new Date(1_000 + n),
});

describe('SessionLog', () => {
  test('a burst of joins is written in a statement or two, not one per stay, and ends follow their starts', async () => {
    const repository = new MemorySessionRepository();
    const log = new SessionLog(repository);
    for (let n = 0; n < 20; n++) log.started(stay(n));
    log.ended('s3', new Date(5_000), 'LEFT');
    log.started(stay(20));
    await log.flush();
    expect(repository.sessions.size).toBe(21);
    // The first start is written at once; everything pushed meanwhile goes in the next write.
    expect(repository.startWrites).toBeLessThanOrEqual(2);
    expect(repository.sessions.get('s3')).toMatchObject({ leftAt: new Date(5_000), leaveReason: 'LEFT' });
    expect(repository.sessions.get('s4')).toMatchObject({ leftAt: null });
    log.stop();
  });

  test('a stay that starts and ends while the database is down is stored, started and ended, once it is back', async () => {
    const repository = new MemorySessionRepository();
    let down = true;
    const start = repository.start.bind(repository);
    repository.start = async (sessions) => {
      if (down) throw new Error('database unreachable');
      return start(sessions);
    };
    const log = new SessionLog(repository, null, {
      initialDelayMs: 5,
      maxDelayMs: 5,
      maxBatch: 100,
      maxPending: 1000,
    });
    log.started(stay(1));
    log.started(stay(2));
    log.ended('s1', new Date(9_000), 'LEFT');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(repository.sessions.size).toBe(0);
    down = false;
    await log.flush();
    expect(repository.sessions.get('s1')).toMatchObject({ leftAt: new Date(9_000), leaveReason: 'LEFT' });
    expect(repository.sessions.get('s2')).toMatchObject({ leftAt: null });
    log.stop();
  });
  test("a room's leaves are one write, and a stay ended twice keeps its first end", async () => {
    const repository = new MemorySessionRepository();
    const log = new SessionLog(repository);
    for (let n = 0; n < 4; n++) log.started(stay(n));
    await log.flush();
    for (let n = 0; n < 4; n++) log.ended(`s${n}`, new Date(6_000 + n), 'LEFT');
    log.ended('s0', new Date(7_000), 'TIMEOUT');
    await log.flush();
    expect(repository.endWrites).toBe(1);
    expect(repository.sessions.get('s0')).toMatchObject({ leftAt: new Date(6_000), leaveReason: 'LEFT' });
    expect(repository.sessions.get('s3')).toMatchObject({ leftAt: new Date(6_003), leaveReason: 'LEFT' });
    log.stop();
  });
});
