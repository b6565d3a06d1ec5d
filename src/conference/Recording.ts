import { randomUUID } from 'node:crypto';
import { logger } from '../shared/logger';
import type { Participant } from './Participant';
import type { PublishedStream, RecordingMedia, RecordingRepository, StreamRecorder } from './ports';
import type { RecordingLog } from './RecordingLog';
import type { RecordingFileRecord, RecordingRecord, RecordingState } from './records';

export interface RecordingServices {
  media: RecordingMedia;
  repository: RecordingRepository;
  /** Where its files' starts and ends and its own end are written, in the background. */
  log: RecordingLog;
  /** Told when a recording begins to stop (readers keep it until the database has all of it). */
  onStopping: (recording: Recording) => void;
}

interface OpenFile {
  record: RecordingFileRecord;
  recorder: StreamRecorder;
}

/**
 * One recording of one room: it owns a StreamRecorder per participant stream recorded (one MP4 file
 * each) and keeps the record of its files. Its room tells it who publishes what (`sync`) and who
 * left (`forget`); `stop` finalizes every file. What changes is written in the background
 * (RecordingLog); until it is stored, readers get this object (Recordings keeps it).
 */
export class Recording {
  readonly id: string = randomUUID();
  readonly startedAt = new Date();
  #state: RecordingState = 'RECORDING';
  #endedAt: Date | null = null;
  /** Files being written, by participant id and stream id. */
  readonly #open = new Map<string, OpenFile>();
  readonly #closed: RecordingFileRecord[] = [];
  /** Files being finalized (stop waits for them). */
  readonly #finalizing = new Set<Promise<void>>();
  #stopping: Promise<void> | undefined;

  constructor(
    readonly roomId: string,
    private readonly services: RecordingServices,
  ) {}

  get state(): RecordingState {
    return this.#state;
  }

  /** Files being written now. */
  get openFiles(): number {
    return this.#open.size;
  }

  get active(): boolean {
    return this.#stopping === undefined;
  }

  /** Stores the recording (awaited: a recording the database never heard of is refused). */
  begin(): Promise<void> {
    return this.services.repository.create({
      id: this.id,
      roomId: this.roomId,
      state: 'RECORDING',
      startedAt: this.startedAt,
      endedAt: null,
    });
  }

  /**
   * What `participant` publishes now: a file opens for each new stream with tracks, and the file of
   * a stream it no longer sends is finalized.
   */
  sync(participant: Participant, streams: PublishedStream[]): void {
    if (!this.active || !participant.hasPeer) return;
    const sent = new Set(streams.filter((stream) => stream.tracks.length > 0).map((stream) => stream.id));
    for (const [key, file] of this.#open) {
      if (file.record.participantId === participant.id && !sent.has(file.record.streamId)) this.#close(key);
    }
    for (const streamId of sent) {
      const key = `${participant.id} ${streamId}`;
      if (!this.#open.has(key)) this.#openFile(key, participant, streamId);
    }
  }

  /** The participant left: its files are finalized (before its media is released). */
  forget(participant: Participant): void {
    for (const [key, file] of this.#open) {
      if (file.record.participantId === participant.id) this.#close(key);
    }
  }

  /** Finalizes every file and marks the recording STOPPED. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const key of [...this.#open.keys()]) this.#close(key);
      await Promise.all([...this.#finalizing]);
      this.#state = 'STOPPED';
      this.#endedAt = new Date();
      this.services.log.ended(this.id, 'STOPPED', this.#endedAt);
    })();
    return this.#stopping;
  }

  toRecord(): RecordingRecord {
    return {
      id: this.id,
      roomId: this.roomId,
      state: this.#state,
      startedAt: this.startedAt,
      endedAt: this.#endedAt,
      files: [
        ...this.#closed,
        ...[...this.#open.values()].map(({ record, recorder }) => ({ ...record, bytes: recorder.bytes() })),
      ].sort(byStart),
    };
  }

  #openFile(key: string, participant: Participant, streamId: string): void {
    const id = randomUUID();
    const record: RecordingFileRecord = {
      id,
      recordingId: this.id,
      participantId: participant.id,
      participantName: participant.name,
      streamId,
      path: `${this.roomId}/${this.id}/${id}.mp4`,
      startedAt: new Date(),
      endedAt: null,
      bytes: 0,
    };
    let recorder: StreamRecorder;
    try {
      recorder = this.services.media.record(participant.peer, streamId, record.path);
    } catch (error) {
      logger.error({ err: error, recordingId: this.id, streamId }, 'could not record a stream');
      return;
    }
    this.#open.set(key, { record, recorder });
    this.services.log.fileStarted(record);
  }

  /** Stops the file's recorder now (synchronously detached from its tracks), finalized in the background. */
  #close(key: string): void {
    const file = this.#open.get(key);
    if (!file) return;
    this.#open.delete(key);
    const finalizing = file.recorder
      .stop()
      .catch((error: unknown) => {
        logger.error({ err: error, recordingId: this.id }, 'finalizing a recording file failed');
        return file.recorder.bytes();
      })
      .then((bytes) => {
        const record = { ...file.record, endedAt: new Date(), bytes };
        this.#closed.push(record);
        this.services.log.fileEnded(record.id, record.endedAt, bytes);
      });
    this.#finalizing.add(finalizing);
    void finalizing.finally(() => this.#finalizing.delete(finalizing));
  }
}

/** Files oldest first, then by id (the order the database lists them in). */
export const byStart = (a: RecordingFileRecord, b: RecordingFileRecord): number =>
  a.startedAt.getTime() - b.startedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
