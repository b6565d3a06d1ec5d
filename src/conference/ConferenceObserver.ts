import type { RoomEvent } from './events';
import { TypedEmitter } from '../shared/TypedEmitter';

export interface ConferenceObserverEvents {
  participantJoined: [roomId: string, participantId: string];
  participantLeft: [roomId: string, reason: string, participantId: string];
  /** A room's events up to `through` are stored (webhooks deliver from the database). */
  eventsStored: [roomId: string, through: number, events: readonly RoomEvent[]];
  /** A room became live in this process (created, or loaded for its first join since start). */
  roomOpened: [roomId: string];
  /** A live room was closed (closeRoom, or empty for ROOM_EMPTY_TIMEOUT_MS). */
  roomClosed: [roomId: string];
  /** An offer/answer exchange finished; `seconds` from the offer to the applied answer. */
  negotiationCompleted: [seconds: number, offeredBy: 'server' | 'client'];
}

/** What happens in the whole conference, for observers such as metrics (mediasoup's `observer`). */
export class ConferenceObserver extends TypedEmitter<ConferenceObserverEvents> {
  notify<K extends keyof ConferenceObserverEvents & string>(
    event: K,
    ...args: ConferenceObserverEvents[K]
  ): void {
    this.emit(event, ...args);
  }
}
