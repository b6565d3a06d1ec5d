/**
 * Keeps the client's picture of the room in step with the server: each room event goes where it
 * belongs (about you or the room itself: to the client; chat messages: to the ChatLog; the rest: to
 * RoomState), and the room is read again (`room(id)`) when events may not tell everything: at
 * join, after the socket was down, when a stream arrives whose owner is not known yet.
 */
import type { ChatLog } from './ChatLog';
import type { RecordingStatus } from './RecordingStatus';
import { RoomDocument } from './operations';
import type { RoomEvent, RoomState } from './RoomState';
import type { Transport } from './transport';

export interface RoomSyncHooks {
  /** Your participant id, once joined. */
  selfId(): string | undefined;
  closed(): boolean;
  /** You are out of the room (`reason`: the server's, ROOM_CLOSED, ...). */
  close(reason: string): void;
  /** A moderator muted your track `trackId`. */
  mutedByModerator(trackId: string): void;
  fail(error: unknown): void;
}

export class RoomSync {
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly roomId: string,
    private readonly room: RoomState,
    private readonly chat: ChatLog,
    private readonly recording: RecordingStatus,
    private readonly hooks: RoomSyncHooks,
  ) {}

  /** Events about you and the room itself are the client's; the rest changes the room state. */
  onEvent(event: RoomEvent): void {
    const self = !!event.participantId && event.participantId === this.hooks.selfId();
    if (event.type === 'ROOM_CLOSED') return this.hooks.close('ROOM_CLOSED');
    if (event.type === 'RECORDING_STARTED' || event.type === 'RECORDING_STOPPED') {
      return this.recording.apply(event);
    }
    if (event.type === 'MESSAGE') {
      if (event.message) this.chat.add(event.message);
      return;
    }
    if (event.type === 'PARTICIPANT_LEFT' && self) return this.hooks.close(event.reason ?? 'REMOVED');
    if (event.type === 'TRACK_MUTED' && self && event.reason === 'MODERATOR') {
      if (event.trackId) this.hooks.mutedByModerator(event.trackId);
      return;
    }
    this.room.apply(event);
  }

  /** Reads the room again in `delayMs` (once, however many ask meanwhile). */
  schedule(delayMs: number): void {
    if (this.#timer !== undefined || this.hooks.closed()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.refresh().catch((error: unknown) => this.hooks.fail(error));
    }, delayMs);
  }

  /** Reconciles participants and stream owners with `room(id)`. */
  async refresh(): Promise<void> {
    const { room } = await this.transport.request(RoomDocument, { id: this.roomId });
    if (this.hooks.closed()) return;
    if (!room.open) return this.hooks.close('ROOM_CLOSED');
    this.room.applySnapshot(room);
    this.recording.applySnapshot(room);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
