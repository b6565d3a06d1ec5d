import { DomainError, ErrorCode } from '../shared/errors';
import type { SubscriptionOwner } from './access';

/** setTimeout's longest delay; later expiries re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

interface Entry {
  owner: SubscriptionOwner;
  roomId?: string;
  end(error: DomainError): void;
}

/**
 * Every live subscription (roomEvents, negotiation) with who holds it, so that what revokes a caller
 * also ends what it follows: a kick or a ban ends its participant's and its identity's
 * subscriptions, its token's expiry ends those the token opened. Also counts subscriptions per room
 * (SUBSCRIPTIONS_PER_ROOM). An ended subscription fails with the reason's code, then is gone.
 */
export class LiveSubscriptions {
  readonly #entries = new Set<Entry>();
  readonly #perRoom = new Map<string, number>();

  constructor(
    private readonly perRoom: number,
    /** Told the room's count of subscriptions here after each change (a cluster adds them up). */
    private readonly onRoomCount: (roomId: string, count: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /**
   * TOO_MANY_SUBSCRIPTIONS when the room is followed by as many subscriptions as allowed, counting
   * `elsewhere` (those on the other nodes of a cluster).
   */
  assertRoomHasRoom(roomId: string, elsewhere = 0): void {
    if ((this.#perRoom.get(roomId) ?? 0) + elsewhere >= this.perRoom) {
      throw new DomainError(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `Room "${roomId}" is followed by as many subscriptions as this server allows (${this.perRoom}).`,
        { limit: this.perRoom },
      );
    }
  }

  /** Wraps a subscription's source so it can be ended from here; `roomId` counts it for that room. */
  track<T>(
    source: AsyncIterableIterator<T>,
    owner: SubscriptionOwner,
    roomId?: string,
  ): AsyncIterableIterator<T> {
    let ended: DomainError | undefined;
    let finished = false;
    // The reject of the next() that waits for the source, if one does: end() wakes it with the error.
    // One per call, dropped when it settles: a Promise.race against one promise that never settles
    // left a reaction on that promise for every event delivered, for as long as the subscription lived.
    let wake: ((error: DomainError) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const forget = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.#entries.delete(entry);
      if (roomId !== undefined) {
        const count = (this.#perRoom.get(roomId) ?? 1) - 1;
        if (count <= 0) this.#perRoom.delete(roomId);
        else this.#perRoom.set(roomId, count);
        this.onRoomCount(roomId, Math.max(0, count));
      }
    };
    const entry: Entry = {
      owner,
      roomId,
      end: (error) => {
        if (finished || ended) return;
        ended = error;
        forget();
        const waiting = wake;
        wake = undefined;
        waiting?.(error);
        void source.return?.();
      },
    };
    this.#entries.add(entry);
    if (roomId !== undefined) {
      const count = (this.#perRoom.get(roomId) ?? 0) + 1;
      this.#perRoom.set(roomId, count);
      this.onRoomCount(roomId, count);
    }
    const arm = () => {
      if (!owner.expiresAt) return;
      const left = owner.expiresAt.getTime() - Date.now();
      if (left <= 0) {
        entry.end(new DomainError(ErrorCode.TOKEN_EXPIRED, 'The access token has expired; get a new one.'));
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    let reported = false;
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (ended) {
          if (reported) return Promise.resolve({ done: true, value: undefined });
          reported = true;
          return Promise.reject(ended);
        }
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          const failed = (error: unknown) => {
            if (error === ended) reported = true;
            forget();
            reject(error);
          };
          wake = failed;
          let next: Promise<IteratorResult<T>>;
          try {
            next = source.next();
          } catch (error) {
            wake = undefined;
            failed(error);
            return;
          }
          next.then(
            (result) => {
              if (wake !== failed) return; // ended meanwhile: already rejected
              wake = undefined;
              if (result.done) forget();
              resolve(result);
            },
            (error: unknown) => {
              if (wake !== failed) return;
              wake = undefined;
              failed(error);
            },
          );
        });
      },
      return: async (value?: unknown) => {
        forget();
        await source.return?.(value);
        return { done: true, value: undefined };
      },
      throw: async (error?: unknown) => {
        forget();
        if (source.throw) return source.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Ends the subscriptions a participant (its token) holds. */
  endParticipant(participantId: string, error: DomainError): void {
    for (const entry of [...this.#entries]) if (entry.owner.participantId === participantId) entry.end(error);
  }

  /** Ends the subscriptions opened in `roomId` by `identity` (its join tokens and participants). */
  endIdentity(roomId: string, identity: string, error: DomainError): void {
    for (const entry of [...this.#entries]) {
      if (entry.owner.identity === identity && entry.owner.roomId === roomId) entry.end(error);
    }
  }
}
