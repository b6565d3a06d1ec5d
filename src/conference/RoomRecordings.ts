import { DomainError, ErrorCode } from '../shared/errors';
import { RoomEventType } from './events';
import type { Participant } from './Participant';
import type { PublishedStream } from './ports';
import { Recording, type RecordingServices } from './Recording';
import type { NewRoomEvent } from './RoomEventLog';

/**
 * A room's recording, at most one at a time. The room tells it who publishes what and who leaves;
 * closing or shutting down the room stops it first (a medooze Recorder must let go of the incoming
 * streams before they stop).
 */
export class RoomRecordings {
  #current: Recording | null = null;

  constructor(
    private readonly roomId: string,
    private readonly services: RecordingServices | null,
    private readonly record: (event: NewRoomEvent) => unknown,
    /** The members now, with what the room forwards of each. */
    private readonly members: () => Array<[Participant, PublishedStream[]]>,
  ) {}

  /** The recording running now, if any. */
  get current(): Recording | null {
    return this.#current;
  }

  /**
   * Starts recording everyone in the room (and whoever joins or publishes later): RECORDING_STARTED.
   * RECORDING_IN_PROGRESS when a recording runs; SERVICE_UNAVAILABLE when recording is not set up.
   */
  async start(): Promise<Recording> {
    if (!this.services)
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Recording is not available on this server.');
    if (this.#current) {
      throw new DomainError(
        ErrorCode.RECORDING_IN_PROGRESS,
        `Room "${this.roomId}" is being recorded already (recording "${this.#current.id}").`,
        { recordingId: this.#current.id },
      );
    }
    const recording = new Recording(this.roomId, this.services);
    // Taken synchronously: a second start at the same instant is refused.
    this.#current = recording;
    try {
      await recording.begin();
    } catch (error) {
      if (this.#current === recording) this.#current = null;
      throw error;
    }
    if (this.#current !== recording) return recording;
    this.record({ type: RoomEventType.RECORDING_STARTED, recordingId: recording.id });
    for (const [member, streams] of this.members()) recording.sync(member, streams);
    return recording;
  }

  /** Finalizes the running recording's files: RECORDING_STOPPED. Idempotent (null when none runs). */
  async stop(): Promise<Recording | null> {
    const recording = this.#current;
    if (!recording) return null;
    this.#current = null;
    this.services?.onStopping(recording);
    await recording.stop();
    this.record({ type: RoomEventType.RECORDING_STOPPED, recordingId: recording.id });
    return recording;
  }

  /** A recording another node ran here ended with that node (cluster failover). */
  recordFailed(recordingId: string): void {
    this.record({ type: RoomEventType.RECORDING_STOPPED, recordingId, reason: 'FAILED' });
  }

  sync(participant: Participant, streams: PublishedStream[]): void {
    this.#current?.sync(participant, streams);
  }

  forget(participant: Participant): void {
    this.#current?.forget(participant);
  }
}
