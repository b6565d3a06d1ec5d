/**
 * A push-to-pull bridge: producers `push` values, one consumer iterates them.
 * Used to turn domain events into the AsyncIterables that GraphQL subscriptions need.
 * The queue is bounded so a consumer that stops reading (a stalled socket) cannot grow
 * the server's memory without limit: past the bound it is ended with an error.
 */
export class AsyncEventQueue<T> implements AsyncIterableIterator<T> {
  readonly #values: T[] = [];
  readonly #waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  #done = false;
  #failure: unknown = undefined;
  readonly #onClose: () => void;

  constructor(
    onClose: () => void = () => undefined,
    private readonly maxBuffered = 10_000,
  ) {
    this.#onClose = onClose;
  }

  push(value: T): void {
    if (this.#done) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve({ value, done: false });
      return;
    }
    if (this.#values.length >= this.maxBuffered) {
      this.fail(new Error('subscriber is not reading: event buffer overflow'));
      return;
    }
    this.#values.push(value);
  }

  /** Ends the stream after the already buffered values are read. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onClose();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    if (this.#done) return;
    this.#failure = error;
    this.#values.length = 0;
    this.#done = true;
    this.#onClose();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#values.length > 0) return Promise.resolve({ value: this.#values.shift() as T, done: false });
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#values.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.fail(error ?? new Error('subscription aborted'));
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
