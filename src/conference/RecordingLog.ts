import type { RecordingRepository } from './ports';
import type { RecordingFileRecord, RecordingState } from './records';
import { RetryingWriter, type RetryPolicy, type WriterRegistry } from './RetryingWriter';

type RecordingChange =
  | { kind: 'fileStarted'; file: RecordingFileRecord }
  | { kind: 'fileEnded'; id: string; endedAt: Date; bytes: number }
  | { kind: 'ended'; id: string; state: RecordingState; endedAt: Date };

/**
 * What recordings write while they run (files started and finalized, the recording's end), in the
 * background and in order, retried until the database takes it: a database outage delays it and
 * loses none of it (the files themselves are on disk). Only the start of a recording is written
 * before it is answered (a recording the database never heard of would be lost at a restart).
 */
export class RecordingLog {
  readonly #writer: RetryingWriter<RecordingChange>;

  constructor(
    private readonly repository: RecordingRepository,
    registry: WriterRegistry | null = null,
    policy?: RetryPolicy,
  ) {
    this.#writer = new RetryingWriter('recordings', (batch) => this.#write(batch), registry, policy);
  }

  fileStarted(file: RecordingFileRecord): void {
    this.#writer.push({ kind: 'fileStarted', file });
  }

  fileEnded(id: string, endedAt: Date, bytes: number): void {
    this.#writer.push({ kind: 'fileEnded', id, endedAt, bytes });
  }

  ended(id: string, state: RecordingState, endedAt: Date): void {
    this.#writer.push({ kind: 'ended', id, state, endedAt });
  }

  /** Resolves when everything pushed so far is stored. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  stop(): void {
    this.#writer.stop();
  }

  async #write(batch: readonly RecordingChange[]): Promise<void> {
    // Every write is idempotent (a file is upserted, ends are updates), so a batch is simply tried again.
    for (const change of batch) {
      if (change.kind === 'fileStarted') await this.repository.addFile(change.file);
      else if (change.kind === 'fileEnded')
        await this.repository.endFile(change.id, change.endedAt, change.bytes);
      else await this.repository.end(change.id, change.state, change.endedAt);
    }
  }
}
