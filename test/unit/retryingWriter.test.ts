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
});
