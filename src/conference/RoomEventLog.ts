import { TypedEmitter } from '../shared/TypedEmitter';
import { type RoomEvent, RoomEventType } from './events';
import type { RoomEventRepository } from './ports';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  RetryingWriter,
  type WriterRegistry,
} from './RetryingWriter';
import { RoomEventStream, type RoomEventSource } from './RoomEventStream';

export type NewRoomEvent = Omit<RoomEvent, 'roomId' | 'sequence' | 'at'>;

interface RoomEventLogEvents {
  /** Every event, in sequence order, as it is appended. */
  event: [RoomEvent];
}

/**
 * One room's event log: numbers events (1, 2, 3, ... continuing from what is stored), hands them to
 * live subscribers at once and to the database in order. A write the database refuses is retried
 * until it is taken: an outage delays history, it never loses an event or leaves a gap. Readers
 * (`stream`) merge what is stored, what is still on its way and what happens next.
 */
export class RoomEventLog extends TypedEmitter<RoomEventLogEvents> implements RoomEventSource {
  #sequence: number;
  readonly #writer: RetryingWriter<RoomEvent>;
  #closed = false;

  constructor(
    readonly roomId: string,
    /** The room's latest stored event, so numbering continues across restarts. */
    lastSequence: number,
    readonly repository: RoomEventRepository,
    registry: WriterRegistry | null = null,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    /** Told after each stored batch, with the highest sequence now stored and the batch. */
    onStored: (roomId: string, through: number, events: readonly RoomEvent[]) => void = () => undefined,
  ) {
    super();
    this.#sequence = lastSequence;
    this.#writer = new RetryingWriter(
      `room events ${roomId}`,
      async (batch) => {
        await repository.append(batch);
        onStored(roomId, batch.at(-1)!.sequence, batch);
      },
      registry,
      policy,
    );
  }

  get lastSequence(): number {
    return this.#sequence;
  }

  /** Whether ROOM_CLOSED was appended: nothing follows it. */
  get closed(): boolean {
    return this.#closed;
  }

  append(event: NewRoomEvent): RoomEvent {
    if (this.#closed) throw new Error(`room ${this.roomId}'s event log is closed`);
    const full: RoomEvent = { roomId: this.roomId, sequence: ++this.#sequence, at: new Date(), ...event };
    if (full.type === RoomEventType.ROOM_CLOSED) this.#closed = true;
    this.#writer.push(full);
    this.emit('event', full);
    return full;
  }

  /** Events not stored yet, and the sequence up to which everything is stored. */
  unstored(): { storedThrough: number; events: readonly RoomEvent[] } {
    const events = this.#writer.unwritten;
    return { storedThrough: this.#sequence - events.length, events };
  }

  subscribe(listener: (event: RoomEvent) => void): () => void {
    return this.on('event', listener);
  }

  /**
   * The room's events after `after` (stored ones read a page at a time as the reader asks for them),
   * then live ones; without `after`, live ones only. Ends after ROOM_CLOSED.
   */
  stream(after: number | null): RoomEventStream {
    return new RoomEventStream(this, after ?? this.#sequence);
  }

  /** Resolves once every event appended so far is stored. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  pendingWrites(): number {
    return this.#writer.pending;
  }

  /** Resolves once everything is stored, then leaves the registry of writers (a closed room). */
  retire(): Promise<void> {
    return this.#writer.retire();
  }

  /** Shutdown: stop writing; what is not stored by now is reported and given up. */
  stop(): void {
    this.#writer.stop();
    this.removeAllListeners();
  }
}

/** The events of a room that has no live log any more (closed before this process loaded it). */
export function storedEvents(
  repository: RoomEventRepository,
  roomId: string,
  after: number,
): RoomEventStream {
  return new RoomEventStream(
    {
      roomId,
      repository,
      closed: true,
      unstored: () => ({ storedThrough: Number.MAX_SAFE_INTEGER, events: [] }),
      subscribe: () => () => undefined,
    },
    after,
  );
}
