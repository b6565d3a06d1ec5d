import { DomainError, ErrorCode } from '../shared/errors';
import type { Participant } from './Participant';

/**
 * A room's places: its members, the places held for joiners not in the room yet, the capacity
 * check between them, and the empty-room timer that says when nobody has been in it for a while.
 */
export class RoomSeats {
  readonly #members = new Map<string, Participant>();
  /** Joins admitted past the capacity check but not in the room yet (media being set up). */
  #reserved = 0;
  #emptyTimer: NodeJS.Timeout | undefined;

  /**
   * `mayIdle`: whether the room may still go idle (it is not closed, closing or stopped).
   * `onIdle`: nobody has been in it for `emptyTimeoutMs` (0: never).
   */
  constructor(
    private readonly roomId: string,
    private readonly capacity: number,
    private readonly emptyTimeoutMs: number,
    private readonly mayIdle: () => boolean,
    private readonly onIdle: () => void,
  ) {}

  /** Nobody is in it and nobody is being admitted. */
  get empty(): boolean {
    return this.#members.size === 0 && this.#reserved === 0;
  }

  /** How many members are in (reservations aside). */
  get memberCount(): number {
    return this.#members.size;
  }

  get members(): Participant[] {
    return [...this.#members.values()];
  }

  get(id: string): Participant | undefined {
    return this.#members.get(id);
  }

  has(id: string): boolean {
    return this.#members.has(id);
  }

  /** The member that joined with this identity, if any (one seat per identity). */
  withIdentity(identity: string): Participant | undefined {
    for (const member of this.#members.values()) if (member.identity === identity) return member;
    return undefined;
  }

  /** Holds a place, synchronously (ROOM_FULL when there is none left). */
  reserve(): void {
    if (this.#members.size + this.#reserved >= this.capacity) {
      throw new DomainError(
        ErrorCode.ROOM_FULL,
        `Room "${this.roomId}" is full (${this.capacity} participants).`,
        { maxParticipants: this.capacity },
      );
    }
    this.#reserved++;
    this.cancelEmptyTimer();
  }

  /** A reservation ends without a member. */
  release(): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
    if (this.empty) this.armEmptyTimer();
  }

  /** A reservation ends: its joiner is about to take the place (`add`) if the room is still open. */
  endReservation(): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
  }

  /** Forgets every reservation (the room closed). */
  clearReservations(): void {
    this.#reserved = 0;
  }

  add(member: Participant): void {
    this.#members.set(member.id, member);
  }

  delete(member: Participant): void {
    this.#members.delete(member.id);
  }

  /** Says `idle` if the room is still empty when the timeout passes. */
  armEmptyTimer(): void {
    const timeout = this.emptyTimeoutMs;
    if (timeout <= 0 || !this.mayIdle()) return;
    this.cancelEmptyTimer();
    this.#emptyTimer = setTimeout(() => {
      this.#emptyTimer = undefined;
      if (this.empty) this.onIdle();
    }, timeout);
    this.#emptyTimer.unref();
  }

  cancelEmptyTimer(): void {
    clearTimeout(this.#emptyTimer);
    this.#emptyTimer = undefined;
  }
}
