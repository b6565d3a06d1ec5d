import type * as MediaServer from 'medooze-media-server';
import type { TrackKind, TrackStats } from '../conference/ports';
import type { ForwardedVideo, LayerPreference } from './LayerSelector';
import { stopQuietly } from './medoozeQuirks';
import type { Publication } from './Publication';

type OutgoingStream = MediaServer.OutgoingStream;
type OutgoingStreamTrack = MediaServer.OutgoingStreamTrack;

/**
 * One publication forwarded to one subscriber: the medooze OutgoingStream on the subscriber's
 * transport, one outgoing track per publisher track, and the subscriber's layer wish for it. Owned
 * by the subscriber's peer (which made it and stops it), attached to the publication (which keeps
 * it in step with the publisher's tracks, mutes and ends it).
 */
export class Subscription {
  /** Outgoing track per publisher track id. */
  readonly #tracks = new Map<string, OutgoingStreamTrack>();
  #stopped = false;

  constructor(
    readonly publication: Publication,
    private readonly outgoing: OutgoingStream,
    /** The subscriber's layer pin for this stream's video (undefined: chosen by bandwidth). */
    public preference: LayerPreference | undefined,
    /** Tells the owner the publication ended this subscription (not called for `stop()`). */
    private readonly onEnded: (subscription: Subscription) => void,
  ) {}

  /** Same as the publisher's msid stream id, so receivers map the stream to its participant. */
  get streamId(): string {
    return this.publication.id;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Matches the outgoing tracks to the publication's live tracks (a keyframe for each new video). */
  sync(): void {
    if (this.#stopped) return;
    const live = this.publication.liveTracks();
    const liveIds = new Set(live.map((track) => track.getId()));
    for (const [trackId, outgoingTrack] of this.#tracks) {
      if (!liveIds.has(trackId)) {
        this.#tracks.delete(trackId);
        stopQuietly(outgoingTrack);
      }
    }
    for (const track of live) {
      if (this.#tracks.has(track.getId())) continue;
      const outgoingTrack = this.outgoing.createTrack(track.getMedia(), {
        id: track.getId(),
        media: track.getMedia(),
      });
      outgoingTrack.attachTo(track);
      // A muted track stays muted for subscribers that come later.
      if (this.publication.isMuted(track.getId())) outgoingTrack.mute(true);
      this.#tracks.set(track.getId(), outgoingTrack);
      if (track.getMedia() === 'video') track.refresh();
    }
  }

  mute(trackId: string, muted: boolean): void {
    this.#tracks.get(trackId)?.mute(muted);
  }

  /** The forwarded tracks: video with layers to choose from, and single-layer tracks (audio...). */
  layering(svc: boolean): { layered: ForwardedVideo[]; single: OutgoingStreamTrack[] } {
    const layered: ForwardedVideo[] = [];
    const single: OutgoingStreamTrack[] = [];
    for (const track of this.#tracks.values()) {
      const incoming = track.getTransponder()?.getIncomingTrack();
      const hasLayers =
        track.getMedia() === 'video' && !!incoming && (incoming.getEncodings().length > 1 || svc);
      if (hasLayers) layered.push({ streamId: this.streamId, track });
      else single.push(track);
    }
    return { layered, single };
  }

  /** What the server forwards on it, with the subscriber's receiver reports. */
  stats(): TrackStats[] {
    return [...this.#tracks].map(([trackId, track]) => {
      const stats = track.getStats();
      // The subscriber's RTCP receiver reports: its losses, and jitter in RTP clock units.
      const reported = stats.media.reported;
      const clockRate = track.getMedia() === 'audio' ? 48_000 : 90_000;
      return {
        trackId,
        streamId: this.streamId,
        kind: track.getMedia() as TrackKind,
        bitrate: stats.bitrate,
        packets: stats.numPackets,
        packetsLost: reported?.lostCount ?? 0,
        rtt: stats.rtt,
        frames: stats.numFrames,
        jitter: reported ? (reported.jitter / clockRate) * 1000 : null,
      };
    });
  }

  /** Stops forwarding (the owner unsubscribes or closes) and leaves the publication. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tracks.clear();
    stopQuietly(this.outgoing);
    this.publication.detach(this);
  }

  /** The publication ended: stops, then tells the owner. */
  end(): void {
    if (this.#stopped) return;
    this.stop();
    this.onEnded(this);
  }
}
