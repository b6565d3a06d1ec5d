import type { SessionEnd, SessionRepository } from './ports';
import type { SessionRecord } from './records';
import { RetryingWriter, type RetryPolicy, type WriterRegistry } from './RetryingWriter';

type SessionChange =
  | { kind: 'start'; session: Omit<SessionRecord, 'leftAt' | 'leaveReason'> }
  | { kind: 'end'; id: string; leftAt: Date; reason: string };

/**
 * Participants' stays, written in the background (a join waits for no database write) and in order
 * (a stay's end after its start), retried until the database takes them: an outage delays them,
 * it loses none.
 */
export class SessionLog {
  readonly #writer: RetryingWriter<SessionChange>;

  constructor(
    private readonly repository: SessionRepository,
    registry: WriterRegistry | null = null,
    policy?: RetryPolicy,
  ) {
    this.#writer = new RetryingWriter('sessions', (batch) => this.#write(batch), registry, policy);
  }

  started(session: Omit<SessionRecord, 'leftAt' | 'leaveReason'>): void {
    this.#writer.push({ kind: 'start', session });
  }

  ended(id: string, leftAt: Date, reason: string): void {
    this.#writer.push({ kind: 'end', id, leftAt, reason });
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  stop(): void {
    this.#writer.stop();
  }

  async #write(batch: readonly SessionChange[]): Promise<void> {
    // Both writes are idempotent, so a batch that failed half-way is simply written again. The
    // starts go first, together: an end in the batch is of a stay started in it or before it.
    // The ends go together too (a room's leaves, a closing room): one statement, not one per stay.
    const starts = batch.flatMap((change) => (change.kind === 'start' ? [change.session] : []));
    if (starts.length > 0) await this.repository.start(starts);
    const ends = new Map<string, SessionEnd>();
    for (const change of batch) {
      // Only a stay's first end counts, in the batch as in the database.
      if (change.kind === 'end' && !ends.has(change.id))
        ends.set(change.id, { id: change.id, leftAt: change.leftAt, reason: change.reason });
    }
    if (ends.size > 0) await this.repository.end([...ends.values()]);
  }
}
