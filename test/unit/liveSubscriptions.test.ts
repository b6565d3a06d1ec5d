import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LiveSubscriptions } from '../../src/api/subscriptions';
import { AsyncEventQueue } from '../../src/shared/AsyncEventQueue';
import { DomainError, ErrorCode } from '../../src/shared/errors';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** An endless source whose next() answers at once: a subscription in a room with a lot going on. */
function busySource(): AsyncIterableIterator<number> {
  let n = 0;
  const source: AsyncIterableIterator<number> = {
    next: () => Promise.resolve({ done: false, value: n++ }),
    return: () => Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => source,
  };
  return source;
}

describe('LiveSubscriptions.track', () => {
  test('a long subscription keeps no memory per event delivered', async () => {
    const subscriptions = new LiveSubscriptions(100);
    const tracked = subscriptions.track(busySource(), { participantId: 'p1' }, 'room');
    for (let i = 0; i < 10_000; i++) await tracked.next();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 300_000; i++) await tracked.next();
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    // Racing each next() against one promise that never settles kept ~150 bytes per event (45 MB here).
    expect(grownMb).toBeLessThan(5);
    await tracked.return?.();
    expect(subscriptions.size).toBe(0);
  });

  test('ending a subscription wakes the next() that waits with its code, then it is done and uncounted', async () => {
    const counts: number[] = [];
    const subscriptions = new LiveSubscriptions(100, (_room, count) => counts.push(count));
    const source = new AsyncEventQueue<string>();
    const tracked = subscriptions.track(source, { participantId: 'p1' }, 'room');
    source.push('first');
    expect(await tracked.next()).toEqual({ done: false, value: 'first' });
    const waiting = tracked.next();
    subscriptions.endParticipant('p1', new DomainError(ErrorCode.FORBIDDEN, 'kicked'));
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(await tracked.next()).toEqual({ done: true, value: undefined });
    // What the source says after the end is not delivered.
    source.push('late');
    expect(await tracked.next()).toEqual({ done: true, value: undefined });
    expect(subscriptions.size).toBe(0);
    expect(counts).toEqual([1, 0]);
  });

  test('a source that fails fails the subscription once, and it is uncounted', async () => {
    const subscriptions = new LiveSubscriptions(100);
    const failing: AsyncIterableIterator<number> = {
      next: () => Promise.reject(new Error('database gone')),
      [Symbol.asyncIterator]: () => failing,
    };
    const tracked = subscriptions.track(failing, {}, 'room');
    await expect(tracked.next()).rejects.toThrow('database gone');
    expect(subscriptions.size).toBe(0);
  });

  test('a source that ends ends the subscription', async () => {
    const subscriptions = new LiveSubscriptions(100);
    const source = new AsyncEventQueue<number>();
    const tracked = subscriptions.track(source, {}, 'room');
    source.end();
    expect(await tracked.next()).toEqual({ done: true, value: undefined });
    expect(subscriptions.size).toBe(0);
  });
});
