import type * as MediaServer from 'medooze-media-server';
import type { PublishedStream, TrackKind, TrackStats } from '../conference/ports';
import { logger } from '../shared/logger';
import { guarded, PLI_WINDOW_MS } from './medoozeQuirks';

/**
 * A keyframe asked for this recently has not reached the server yet (the publisher encodes it at
 * its next frame, a frame interval at 30 fps, then a network hop): whoever asks now gets that one,
 * no second request needed. A subscriber that started after the keyframe went by after all finds
 * out and asks again (Subscription's first-packet watch).
 */
const IN_FLIGHT_MS = 40;

/**
 * How long a subscriber ready to start this stream's video may be held for the others about to
 * start it (their offer carrying it sent, not answered yet, their transport up), so that all start
 * from one keyframe. Attaching is when medooze asks the publisher for one, and a Chromium
 * publisher honours one request per 300 ms: started one by one as their answers land (a joiner's
 * stream is offered to the whole room at once, the answers come a few ms apart), only the first
 * few get that keyframe and the others wait a whole window for the next.
 */
const START_TOGETHER_MS = 50;
import type { StreamRecorder } from './StreamRecorder';
import type { Subscription } from './Subscription';

type IncomingStream = MediaServer.IncomingStream;
type IncomingStreamTrack = MediaServer.IncomingStreamTrack;

/** How peers reach each other's publications: through the engine, by peer id, never by reference. */
export interface PublicationDirectory {
  /** Publication `streamId` of the open peer `peerId`, if it publishes it. */
  publication(peerId: string, streamId: string): Publication | undefined;
  /** The publications of the open peer `peerId` (none once it is closed or unknown). */
  publicationsOf(peerId: string): Publication[];
  isOpen(peerId: string): boolean;
}

/**
 * One stream a peer publishes: its medooze IncomingStream, which tracks of it are muted, and the
 * subscriptions (other peers' outgoing streams) attached to it. Everything done to what reaches
 * the subscribers of this stream goes through here: mute, keyframes, track changes, its end.
 */
export class Publication {
  readonly #stream: IncomingStream;
  readonly #subscriptions = new Set<Subscription>();
  /** Recordings of this stream (each must let go of its tracks before medooze stops them). */
  readonly #recorders = new Set<StreamRecorder>();
  /** Track ids forwarded to nobody. Kept across re-offers that remove and add a track again. */
  readonly #muted: Set<string>;
  #ended = false;
  /** When the last keyframe request went to the publisher (performance.now()), or never. */
  #lastKeyframeRequest = -Infinity;
  /** The one request waiting for medooze's PLI window to pass: it serves everyone who asked meanwhile. */
  #pendingKeyframe: NodeJS.Timeout | undefined;
  /** Subscribers ready to start video, held for the others about to (START_TOGETHER_MS). */
  readonly #held = new Set<Subscription>();
  #holdTimer: NodeJS.Timeout | undefined;
  /** A keyframe was asked for while the publisher's own transport was not up yet. */
  #keyframeWanted = false;
  /** Keyframe requests sent to the publisher (PLIs on each of its video tracks). */
  #keyframeRequests = 0;

  constructor(
    /** The publishing peer's id. */
    readonly publisherId: string,
    stream: IncomingStream,
    muted: Iterable<string> = [],
    /** Whether the publisher's transport is up (a PLI sent before goes nowhere yet still counts). */
    private readonly publisherConnected: () => boolean = () => true,
  ) {
    this.#stream = stream;
    this.#muted = new Set(muted);
    // medooze stops a stream with its transport; whoever forwards it must stop too.
    stream.once(
      'stopped',
      guarded('stream stopped', () => this.end()),
    );
  }

  get id(): string {
    return this.#stream.getId();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Tracks the publisher sends now (medooze keeps stopped ones until they are removed). */
  liveTracks(): IncomingStreamTrack[] {
    if (this.#ended) return [];
    return this.#stream.getTracks().filter((track) => !track.stopped);
  }

  audioTracks(): IncomingStreamTrack[] {
    return this.liveTracks().filter((track) => track.getMedia() === 'audio');
  }

  /** The stream as the domain sees it (ids and kinds of its live tracks). */
  describe(): PublishedStream {
    return {
      id: this.id,
      tracks: this.liveTracks().map((track) => ({ id: track.getId(), kind: track.getMedia() as TrackKind })),
    };
  }

  isMuted(trackId: string): boolean {
    return this.#muted.has(trackId);
  }

  mutedTrackIds(): string[] {
    return [...this.#muted];
  }

  subscriptions(): ReadonlySet<Subscription> {
    return this.#subscriptions;
  }

  /** Stops (or resumes) forwarding one of its tracks to every subscriber, present and future. */
  setMuted(trackId: string, muted: boolean): void {
    if (muted) this.#muted.add(trackId);
    else this.#muted.delete(trackId);
    for (const subscription of this.#subscriptions) subscription.mute(trackId, muted);
    if (!muted) {
      // Receivers resume mid-stream: they need a keyframe to decode anything.
      const track = this.liveTracks().find((candidate) => candidate.getId() === trackId);
      if (track?.getMedia() === 'video') this.requestKeyframe();
    }
  }

  /**
   * Asks the publisher for a keyframe of each of its video tracks (PLI), at most once per medooze
   * PLI window: a request within the window of the last one is not sent (medooze would drop it)
   * but made once when the window ends, for every subscriber that asked in between. Before the
   * publisher's transport is up the request waits for it (a PLI would be lost and still close
   * the window).
   */
  requestKeyframe(): void {
    if (this.#ended || this.#pendingKeyframe) return;
    if (!this.publisherConnected()) {
      this.#keyframeWanted = true;
      return;
    }
    const since = performance.now() - this.#lastKeyframeRequest;
    if (since < IN_FLIGHT_MS) return;
    const wait = PLI_WINDOW_MS - since;
    if (wait <= 0) {
      this.#sendKeyframeRequest();
      return;
    }
    this.#pendingKeyframe = setTimeout(
      guarded('keyframe timer', () => {
        this.#pendingKeyframe = undefined;
        if (!this.#ended) this.#sendKeyframeRequest();
      }),
      wait,
    );
    this.#pendingKeyframe.unref();
  }

  /**
   * Whether `subscription`, ready to start this stream's video, should wait for the other
   * subscribers about to start it; if so it is started (activate()) when the last of them is
   * ready, or START_TOGETHER_MS after the first was held. A subscriber with nobody to wait for
   * starts at once, and starts those held with it.
   */
  holdStart(subscription: Subscription): boolean {
    if (this.#ended) return false;
    // Activated again while held (its transport came up, another answer): still held.
    if (this.#held.has(subscription)) return true;
    const othersComing = [...this.#subscriptions].some(
      (other) => other !== subscription && !this.#held.has(other) && other.aboutToStartVideo,
    );
    if (!othersComing) {
      this.#releaseHeld();
      return false;
    }
    this.#held.add(subscription);
    if (!this.#holdTimer) {
      this.#holdTimer = setTimeout(
        guarded('start together timer', () => this.#releaseHeld()),
        START_TOGETHER_MS,
      );
      this.#holdTimer.unref();
    }
    return true;
  }

  #releaseHeld(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const held = [...this.#held];
    this.#held.clear();
    for (const subscription of held) subscription.activate(false);
  }

  /** The publisher's transport came up: a keyframe asked for before is asked for now. */
  publisherReady(): void {
    if (!this.#keyframeWanted) return;
    this.#keyframeWanted = false;
    this.requestKeyframe();
  }

  /** Keyframe requests (PLI rounds) actually sent to the publisher so far. */
  get keyframeRequests(): number {
    return this.#keyframeRequests;
  }

  #sendKeyframeRequest(): void {
    this.#lastKeyframeRequest = performance.now();
    this.#keyframeRequests++;
    for (const track of this.liveTracks()) {
      if (track.getMedia() !== 'video') continue;
      try {
        track.refresh();
      } catch (error) {
        logger.debug({ err: error }, 'keyframe request on a stopping track');
      }
    }
  }

  /** A subscriber starts forwarding this stream; it gets every live track. */
  attach(subscription: Subscription): void {
    if (this.#ended) return;
    this.#subscriptions.add(subscription);
    subscription.sync();
  }

  /** A subscription stopped (its owner unsubscribed or closed). */
  detach(subscription: Subscription): void {
    this.#subscriptions.delete(subscription);
    this.#held.delete(subscription);
    // The one it was waiting for may have been this one.
    if (this.#held.size > 0 && ![...this.#subscriptions].some((other) => other.aboutToStartVideo))
      this.#releaseHeld();
  }

  /** The publisher's description was applied: a track may have come or gone in this stream. */
  tracksChanged(): void {
    for (const subscription of this.#subscriptions) subscription.sync();
    for (const recorder of this.#recorders) recorder.sync();
  }

  addRecorder(recorder: StreamRecorder): void {
    this.#recorders.add(recorder);
  }

  removeRecorder(recorder: StreamRecorder): void {
    this.#recorders.delete(recorder);
  }

  /**
   * A description is about to be applied: recorders let go of the tracks it no longer sends, since
   * medooze stops them while applying it (see releaseRecorderTrack).
   */
  beforeDescription(sends: (streamId: string, trackId: string) => boolean): void {
    if (this.#recorders.size === 0) return;
    const leaving = new Set(
      this.liveTracks()
        .map((track) => track.getId())
        .filter((trackId) => !sends(this.id, trackId)),
    );
    if (leaving.size === 0) return;
    for (const recorder of this.#recorders) recorder.release(leaving);
  }

  /** Figures of what the server receives on this stream, one entry per live track. */
  stats(): TrackStats[] {
    return this.liveTracks().map((track) => {
      const figures: TrackStats = {
        trackId: track.getId(),
        streamId: this.id,
        kind: track.getMedia() as TrackKind,
        bitrate: 0,
        packets: 0,
        packetsLost: 0,
        rtt: 0,
        frames: 0,
      };
      // One entry per encoding (several with simulcast): the track's figures are their sum.
      for (const encoding of Object.values(track.getStats())) {
        figures.bitrate += encoding.media.bitrate;
        figures.packets += encoding.media.numPackets;
        figures.packetsLost += encoding.media.lostPackets;
        figures.frames += encoding.media.numFrames;
        figures.rtt = Math.max(figures.rtt, encoding.rtt ?? 0);
        if (encoding.width) figures.width = Math.max(figures.width ?? 0, encoding.width);
        if (encoding.height) figures.height = Math.max(figures.height ?? 0, encoding.height);
      }
      return figures;
    });
  }

  /**
   * The publisher stopped publishing it (or left): every subscription stops and its owner is told.
   * Idempotent.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Recorders let go first: the stream stops after this (see releaseRecorderTrack).
    for (const recorder of [...this.#recorders]) void recorder.stop();
    this.#recorders.clear();
    clearTimeout(this.#pendingKeyframe);
    this.#pendingKeyframe = undefined;
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#held.clear();
    for (const subscription of [...this.#subscriptions]) subscription.end();
    this.#subscriptions.clear();
  }
}
