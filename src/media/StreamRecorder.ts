import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import * as MediaServer from 'medooze-media-server';
import type { StreamRecorder as StreamRecorderPort } from '../conference/ports';
import { logger } from '../shared/logger';
import { recordOneTrack, releaseRecorderTrack } from './medoozeQuirks';
import type { Publication } from './Publication';

type IncomingStreamTrack = MediaServer.IncomingStreamTrack;
type RecorderTrack = MediaServer.RecorderTrack;

/**
 * One published stream written to one MP4 file by a medooze Recorder (no transcoding: the RTP
 * payloads are depacketized into frames and stored as they came). It follows the stream's tracks
 * (its Publication tells it when they change) and must let go of a track before medooze stops it
 * (see `releaseRecorderTrack`), so the Publication stops it first when it ends.
 */
export class StreamRecorder implements StreamRecorderPort {
  readonly #recorder: MediaServer.Recorder;
  readonly #tracks = new Map<IncomingStreamTrack, RecorderTrack>();
  #stopping: Promise<number> | undefined;

  constructor(
    private readonly publication: Publication,
    readonly file: string,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    // No waitForIntra: it holds back audio until the first video keyframe, so an audio-only stream
    // would record nothing. The first keyframe is asked for right away (publication.requestKeyframe).
    this.#recorder = MediaServer.createRecorder(file, { waitForIntra: false, disableHints: true });
    publication.addRecorder(this);
    this.sync();
  }

  get stopped(): boolean {
    return this.#stopping !== undefined;
  }

  /** Records every live track of the stream not recorded yet; lets go of those that are gone. */
  sync(): void {
    if (this.#stopping) return;
    const live = new Set(this.publication.liveTracks());
    for (const [track, recorderTrack] of this.#tracks) {
      if (live.has(track)) continue;
      this.#tracks.delete(track);
      releaseRecorderTrack(recorderTrack);
    }
    let video = false;
    for (const track of live) {
      if (this.#tracks.has(track)) continue;
      const recorderTrack = recordOneTrack(this.#recorder, track);
      if (recorderTrack) this.#tracks.set(track, recorderTrack);
      if (track.getMedia() === 'video') video = true;
    }
    if (video) this.publication.requestKeyframe();
  }

  /** Lets go of the tracks medooze is about to stop (a re-offer without them). */
  release(trackIds: ReadonlySet<string>): void {
    for (const [track, recorderTrack] of this.#tracks) {
      if (!trackIds.has(track.getId())) continue;
      this.#tracks.delete(track);
      releaseRecorderTrack(recorderTrack);
    }
  }

  bytes(): number {
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /**
   * Lets go of every track now (synchronously, before anyone stops the stream), then finalizes the
   * file (medooze writes the MP4 index on close); resolves with its size. Idempotent.
   */
  stop(): Promise<number> {
    this.#stopping ??= (async () => {
      this.publication.removeRecorder(this);
      for (const recorderTrack of this.#tracks.values()) releaseRecorderTrack(recorderTrack);
      this.#tracks.clear();
      try {
        await this.#recorder.stop();
      } catch (error) {
        logger.error({ err: error, file: this.file }, 'closing a recording failed');
      }
      return this.bytes();
    })();
    return this.#stopping;
  }
}
