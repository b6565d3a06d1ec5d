import { DEFAULT_RETRY_POLICY, RetryingWriter } from '../../src/conference/RetryingWriter';

describe('RetryingWriter', () => {
  test('what is pushed in one synchronous run is written in one batch, what comes later in the next', async () => {
    const batches: string[][] = [];
    const writer = new RetryingWriter<string>('test', async (batch) => {
      batches.push([...batch]);
    });
    // A join records PARTICIPANT_JOINED and STREAM_PUBLISHED in the same run.
    writer.push('joined');
    writer.push('published');
    writer.push('published 2');
    await writer.flush();
    writer.push('left');
    await writer.flush();
    expect(batches).toEqual([['joined', 'published', 'published 2'], ['left']]);
  });

  test('a batch never exceeds maxBatch', async () => {
    const sizes: number[] = [];
    const writer = new RetryingWriter<number>('test', async (batch) => void sizes.push(batch.length), null, {
      ...DEFAULT_RETRY_POLICY,
      maxBatch: 4,
    });
    for (let i = 0; i < 10; i++) writer.push(i);
    await writer.flush();
    expect(sizes).toEqual([4, 4, 2]);
  });
  test('with a batch delay, what is pushed within it goes in one batch; flush() does not wait for it', async () => {
    const batches: string[][] = [];
    const writer = new RetryingWriter<string>('test', async (batch) => void batches.push([...batch]), null, {
      ...DEFAULT_RETRY_POLICY,
      batchDelayMs: 40,
    });
    // Three joins a few milliseconds apart: three statements without the delay, one with it.
    writer.push('ada joined');
    await new Promise((resolve) => setTimeout(resolve, 5));
    writer.push('bob joined');
    await new Promise((resolve) => setTimeout(resolve, 5));
    writer.push('cyd joined');
    expect(batches).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(batches).toEqual([['ada joined', 'bob joined', 'cyd joined']]);

    const slow = new RetryingWriter<string>('slow', async (batch) => void batches.push([...batch]), null, {
      ...DEFAULT_RETRY_POLICY,
      batchDelayMs: 60_000,
    });
    slow.push('dan joined');
    const started = performance.now();
    await slow.flush();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(batches.at(-1)).toEqual(['dan joined']);
    slow.stop();
  });
});
