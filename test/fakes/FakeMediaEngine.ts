import type { VideoCodec } from '../../src/conference/codecs';
import type {
  MediaPeer,
  MediaPeerFactory,
  MediaPeerListener,
  PeerStats,
  PublishedStream,
  RecordingMedia,
  SessionDescription,
  StreamRecorder,
  SpeakerDetector,
  TrackKind,
} from '../../src/conference/ports';
import { DomainError, ErrorCode } from '../../src/shared/errors';

/**
 * A fake SDP for domain tests: `v=0`, then one line per sent stream,
 * `send <streamId> <trackId>/<kind> ...`. Real SDP is for the integration tests.
 */
export function fakeSdp(streams: Record<string, Array<[string, TrackKind]>> = {}): string {
  const lines = Object.entries(streams).map(
    ([id, tracks]) => `send ${id} ${tracks.map(([track, kind]) => `${track}/${kind}`).join(' ')}`,
  );
  return ['v=0', ...lines].join('\n');
}

function streamsOf(sdp: string): PublishedStream[] {
  return sdp
    .split('\n')
    .filter((line) => line.startsWith('send '))
    .map((line) => {
      const [, id, ...tracks] = line.split(' ');
      return {
        id: id!,
        tracks: tracks.map((track) => {
          const [trackId, kind] = track.split('/');
          return { id: trackId!, kind: kind as TrackKind };
        }),
      };
    });
}

let nextId = 0;

/** A media peer that keeps offer/answer state the way medooze does, and records what it forwards. */
export class FakePeer implements MediaPeer {
  readonly id = `peer-${++nextId}`;
  createAnswer(): string {
    return 'v=0 answer';
  }
  signalingState = 'stable';
  closed = false;
  readonly muted = new Set<string>();
  readonly subscriptions = new Map<string, FakePeer>();
  #published: PublishedStream[];

  constructor(
    offer: SessionDescription,
    private readonly listener: MediaPeerListener,
    private readonly engine: FakeMediaEngine,
  ) {
    this.#published = streamsOf(offer.sdp);
  }

  publishedStreams(): PublishedStream[] {
    return this.#published;
  }
  createOffer(): string {
    this.signalingState = 'local-offer';
    return `v=0 offer of ${this.id}`;
  }
  processAnswer(): void {
    this.signalingState = 'stable';
  }
  processOffer(offer: SessionDescription): string {
    this.#published = streamsOf(offer.sdp);
    this.listener.onPublishedChanged(this.#published);
    return 'v=0 answer to client';
  }
  subscribe(publisher: MediaPeer, streamId: string): void {
    if (this.closed) throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, 'closed');
    const found = this.engine.peer(publisher.id);
    if (!found) throw new Error(`unknown publisher ${publisher.id}`);
    this.subscriptions.set(streamId, found);
    this.#renegotiate();
  }
  unsubscribe(streamId: string): void {
    if (this.subscriptions.delete(streamId)) this.#renegotiate();
  }
  subscribedStreamIds(): string[] {
    return [...this.subscriptions.keys()];
  }
  isTrackMuted(trackId: string): boolean {
    return this.muted.has(trackId);
  }
  setTrackMuted(trackId: string, muted: boolean): void {
    if (muted) this.muted.add(trackId);
    else this.muted.delete(trackId);
  }
  setPreferredLayer(): void {}
  stats(): PeerStats {
    return { inbound: [], outbound: [] };
  }
  /** What the media server heard from it: tests make it grow (media flowing) or stand still. */
  heard = 0;
  activity(): number {
    return this.heard;
  }
  /** The transport dies (DTLS failed, ICE silent). */
  lose(reason: 'DISCONNECTED' | 'TIMEOUT'): void {
    this.listener.onLost(reason);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriptions.clear();
    this.engine.forget(this);
  }
  #renegotiate(): void {
    // medooze batches renegotiationneeded to the next tick.
    queueMicrotask(() => {
      if (!this.closed) this.listener.onRenegotiationNeeded();
    });
  }
}

class FakeSpeakerDetector implements SpeakerDetector {
  stopped = false;
  readonly followed = new Set<MediaPeer>();
  constructor(readonly onChange: (peer: MediaPeer) => void) {}
  follow(peer: MediaPeer): void {
    if (!this.stopped) this.followed.add(peer);
  }
  forget(peer: MediaPeer): void {
    this.followed.delete(peer);
  }
  stop(): void {
    this.stopped = true;
    this.followed.clear();
  }
}

/** A recording of one stream: what it was asked to write, and whether it was finalized. */
export class FakeStreamRecorder implements StreamRecorder {
  stopped = false;
  constructor(
    readonly peer: FakePeer,
    readonly streamId: string,
    readonly path: string,
  ) {}
  bytes(): number {
    return this.stopped ? 1000 : 500;
  }
  async stop(): Promise<number> {
    if (this.peer.closed && !this.stopped)
      throw new Error('recorder stopped after its stream (medooze may crash)');
    this.stopped = true;
    return this.bytes();
  }
}

/** The media side for domain tests: no medooze, no sockets. */
export class FakeMediaEngine implements MediaPeerFactory, RecordingMedia {
  readonly #peers = new Map<string, FakePeer>();
  readonly recorders: FakeStreamRecorder[] = [];
  readonly detectors: FakeSpeakerDetector[] = [];

  parseDescription(sdp: string): SessionDescription {
    if (!sdp.startsWith('v=0')) throw new DomainError(ErrorCode.INVALID_SDP, 'not an SDP');
    const streams = streamsOf(sdp);
    return {
      sdp,
      sendsMedia: streams.length > 0,
      sentTrackCount: streams.reduce((total, stream) => total + stream.tracks.length, 0),
    };
  }
  create(
    offer: SessionDescription,
    options: { videoCodec: VideoCodec; simulcast: boolean; listener: MediaPeerListener },
  ): FakePeer {
    const peer = new FakePeer(offer, options.listener, this);
    this.#peers.set(peer.id, peer);
    return peer;
  }
  createSpeakerDetector(onChange: (peer: MediaPeer) => void): SpeakerDetector {
    const detector = new FakeSpeakerDetector(onChange);
    this.detectors.push(detector);
    return detector;
  }
  record(peer: MediaPeer, streamId: string, path: string): FakeStreamRecorder {
    const found = this.#peers.get(peer.id);
    if (!found || !found.publishedStreams().some((stream) => stream.id === streamId)) {
      throw new DomainError(ErrorCode.STREAM_NOT_FOUND, `${peer.id} does not publish ${streamId}`);
    }
    const recorder = new FakeStreamRecorder(found, streamId, path);
    this.recorders.push(recorder);
    return recorder;
  }
  /** Recorders not finalized yet (leak checks). */
  openRecorders(): FakeStreamRecorder[] {
    return this.recorders.filter((recorder) => !recorder.stopped);
  }
  peer(id: string): FakePeer | undefined {
    return this.#peers.get(id);
  }
  forget(peer: FakePeer): void {
    this.#peers.delete(peer.id);
  }
  /** Peers not closed yet (leak checks). */
  openPeers(): FakePeer[] {
    return [...this.#peers.values()];
  }
  /** Speaker detectors not stopped yet (leak checks). */
  liveDetectors(): number {
    return this.detectors.filter((detector) => !detector.stopped).length;
  }
}
