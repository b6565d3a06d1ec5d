/**
 * Whether the room is being recorded, as far as the client knows: from the room's snapshot (so a
 * late joiner knows at once) and from RECORDING_STARTED / RECORDING_STOPPED events. Says
 * `recordingChanged` when that changes. It knows nothing of sockets.
 */
import type { RoomEvent, RoomSnapshot } from './RoomState';
import type { ConferenceEvents, RecordingInfo } from './types';

export class RecordingStatus {
  #current: RecordingInfo | null = null;

  constructor(
    private readonly emit: (event: 'recordingChanged', ...args: ConferenceEvents['recordingChanged']) => void,
  ) {}

  /** The recording running now (null: the room is not being recorded). */
  get current(): RecordingInfo | null {
    return this.#current;
  }

  apply(event: RoomEvent): void {
    if (event.type === 'RECORDING_STARTED' && event.recordingId) {
      this.#set({ id: event.recordingId, startedAt: event.at as string });
    } else if (event.type === 'RECORDING_STOPPED' && event.recordingId === this.#current?.id) {
      this.#set(null);
    }
  }

  applySnapshot(room: Pick<RoomSnapshot, 'recordings'>): void {
    const running = room.recordings.find((recording) => recording.state === 'RECORDING');
    this.#set(running ? { id: running.id, startedAt: running.startedAt as string } : null);
  }

  /** Out of the room. */
  clear(): void {
    this.#set(null);
  }

  #set(next: RecordingInfo | null): void {
    if (next?.id === this.#current?.id) return;
    this.#current = next;
    this.emit('recordingChanged', next);
  }
}
