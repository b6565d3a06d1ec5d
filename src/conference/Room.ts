import { DomainError, ErrorCode } from '../shared/errors';
import { TypedEmitter } from '../shared/TypedEmitter';
import { type RoomEvent, RoomEventType } from './events';
import type { RoomRecord } from './records';

export interface RoomEvents {
  /** Every room event, in sequence order. */
  event: [RoomEvent];
  /** Emitted once, after ROOM_CLOSED, when the room holds nothing any more. */
  closed: [];
}

/**
 * The live state of one open room. The database holds its record and history;
 * this object holds what only exists while the room is open.
 */
export class Room extends TypedEmitter<RoomEvents> {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly maxParticipants: number;
  readonly metadata: Record<string, unknown> | null;
  #closedAt: Date | null = null;
  #sequence = 0;

  constructor(record: RoomRecord) {
    super();
    this.id = record.id;
    this.name = record.name;
    this.createdAt = record.createdAt;
    this.maxParticipants = record.maxParticipants;
    this.metadata = record.metadata;
    this.#closedAt = record.closedAt;
  }

  get closed(): boolean {
    return this.#closedAt !== null;
  }

  get closedAt(): Date | null {
    return this.#closedAt;
  }

  /** The sequence number of the latest event (0 before the first). */
  get lastSequence(): number {
    return this.#sequence;
  }

  toRecord(): RoomRecord {
    return {
      id: this.id,
      name: this.name,
      createdAt: this.createdAt,
      closedAt: this.#closedAt,
      maxParticipants: this.maxParticipants,
      metadata: this.metadata,
    };
  }

  assertOpen(): void {
    if (this.closed) throw new DomainError(ErrorCode.ROOM_CLOSED, `Room "${this.id}" is closed.`);
  }

  /** Closes the room: idempotent; returns false when it was already closed. */
  close(at = new Date()): boolean {
    if (this.closed) return false;
    this.#closedAt = at;
    this.record({ type: RoomEventType.ROOM_CLOSED });
    this.emit('closed');
    this.removeAllListeners();
    return true;
  }

  protected record(event: Omit<RoomEvent, 'roomId' | 'sequence' | 'at'>): RoomEvent {
    const full: RoomEvent = { roomId: this.id, sequence: ++this.#sequence, at: new Date(), ...event };
    this.emit('event', full);
    return full;
  }
}
