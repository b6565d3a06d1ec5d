import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import type { RecordingRepository } from './ports';
import type { RecordingLog } from './RecordingLog';
import type { Recording } from './Recording';
import type { RecordingFileRecord, RecordingRecord, RecordingState } from './records';
import type { Room } from './Room';
import type { RoomRegistry } from './RoomRegistry';

/**
 * The recording use cases: start and stop a room's recording, read recordings (live ones from their
 * room, finished ones from the database), find a file to download. Each room owns its recording.
 */
export class Recordings {
  /** Recordings being stopped, so a second stop waits for the same end. */
  readonly #stopping = new Map<string, Promise<RecordingRecord>>();
  /** Stopped recordings whose last changes the database has not taken yet: read from here meanwhile. */
  readonly #retiring = new Map<string, Recording>();

  constructor(
    private readonly registry: RoomRegistry,
    private readonly repository: RecordingRepository | null,
    private readonly log: RecordingLog | null,
  ) {}

  /** Rooms being recorded now. */
  get active(): number {
    return this.registry.rooms().filter((room) => room.recordings.current).length;
  }

  /** Files being written now, over every room. */
  get openFiles(): number {
    let count = 0;
    for (const room of this.registry.rooms()) count += room.recordings.current?.openFiles ?? 0;
    return count;
  }

  /** Stopped recordings still held in memory (leak checks). */
  get retiring(): number {
    return this.#retiring.size;
  }

  /** Starts recording an open room: RECORDING_IN_PROGRESS, ROOM_NOT_FOUND, ROOM_CLOSED. */
  async start(roomId: string): Promise<RecordingRecord> {
    const room = await this.registry.open(roomId);
    return (await room.recordings.start()).toRecord();
  }

  /**
   * Stops a recording and finalizes its files; a recording already stopped is returned as it is
   * (idempotent). RECORDING_NOT_FOUND for an unknown id.
   */
  async stop(id: string): Promise<RecordingRecord> {
    const stopping = this.#stopping.get(id);
    if (stopping) return stopping;
    const retiring = this.#retiring.get(id);
    if (retiring) {
      // Being stopped by its room (closing, shutdown): the same end.
      await retiring.stop();
      return retiring.toRecord();
    }
    const live = this.#live(id);
    if (!live) {
      const stored = await this.find(id);
      // Running, but not here: in a cluster another node holds its room (and its recorders).
      if (stored.state === 'RECORDING') {
        throw new DomainError(
          ErrorCode.SERVICE_UNAVAILABLE,
          `Recording "${id}" runs on another node: call stopRecording with its roomId to reach it.`,
          { roomId: stored.roomId },
        );
      }
      return stored;
    }
    const room = this.registry.live(live.roomId)!;
    const done = room.recordings
      .stop()
      .then(() => live.toRecord())
      .finally(() => this.#stopping.delete(id));
    this.#stopping.set(id, done);
    return done;
  }

  /**
   * A recording stopped (by stopRecording, its room closing or shutting down): it is read from
   * memory until the database has all of it.
   */
  retire(recording: Recording): void {
    if (!this.log || this.#retiring.has(recording.id)) return;
    this.#retiring.set(recording.id, recording);
    void recording
      .stop()
      .then(() => this.log!.flush())
      .finally(() => this.#retiring.delete(recording.id));
  }

  /** The recording, live or stored; RECORDING_NOT_FOUND. */
  async find(id: string): Promise<RecordingRecord> {
    const live = this.#live(id) ?? this.#retiring.get(id);
    if (live) return live.toRecord();
    const stored = this.repository ? await this.repository.find(id) : null;
    if (!stored) throw new DomainError(ErrorCode.RECORDING_NOT_FOUND, `No recording with id "${id}".`);
    return stored;
  }

  /** The room's recordings, oldest first (the running one with its files as they are now). */
  async ofRoom(roomId: string): Promise<RecordingRecord[]> {
    const stored = this.repository ? await this.repository.listForRoom(roomId) : [];
    const inMemory = [...this.#retiring.values()].filter((recording) => recording.roomId === roomId);
    const current = this.registry.live(roomId)?.recordings.current;
    if (current) inMemory.push(current);
    if (inMemory.length === 0) return stored;
    const live = new Map(inMemory.map((recording) => [recording.id, recording.toRecord()]));
    return [...stored.filter((recording) => !live.has(recording.id)), ...live.values()].sort(
      (a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.id < b.id ? -1 : 1),
    );
  }

  /** A file of a recording, with its room (for the download's access check); RECORDING_NOT_FOUND. */
  async file(
    recordingId: string,
    fileId: string,
  ): Promise<{ roomId: string; state: RecordingState; file: RecordingFileRecord }> {
    const recording = await this.find(recordingId);
    const file = recording.files.find((candidate) => candidate.id === fileId);
    if (!file) {
      throw new DomainError(
        ErrorCode.RECORDING_NOT_FOUND,
        `Recording "${recordingId}" has no file "${fileId}".`,
      );
    }
    return { roomId: recording.roomId, state: recording.state, file };
  }

  /** Recordings a process that died left RECORDING are FAILED (their files may lack an index). */
  async recover(at = new Date()): Promise<void> {
    const count = (await this.repository?.failAllActive(at))?.length ?? 0;
    if (count > 0) logger.warn({ count }, 'recordings interrupted by the previous run marked FAILED');
  }

  /**
   * Cluster: this node took over `room` from a node that died; the recording that node ran there is
   * FAILED, and the room hears RECORDING_STOPPED (reason FAILED).
   */
  async takenOver(room: Room, at = new Date()): Promise<void> {
    const ids = (await this.repository?.failAllActive(at, room.id)) ?? [];
    for (const id of ids) room.recordings.recordFailed(id);
    if (ids.length > 0) logger.warn({ roomId: room.id, ids }, 'recordings of a node that died marked FAILED');
  }

  #live(id: string): Recording | undefined {
    for (const room of this.registry.rooms()) {
      if (room.recordings.current?.id === id) return room.recordings.current;
    }
    return undefined;
  }
}
