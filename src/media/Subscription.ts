import type * as MediaServer from 'medooze-media-server';
import type { TrackKind, TrackStats } from '../conference/ports';
import type { ForwardedVideo, LayerPreference } from './LayerSelector';
import { guarded, stopQuietly } from './medoozeQuirks';
import type { Publication } from './Publication';

type OutgoingStream = MediaServer.OutgoingStream;
type OutgoingStreamTrack = MediaServer.OutgoingStreamTrack;
type IncomingStreamTrack = MediaServer.IncomingStreamTrack;

/**
 * A video track not negotiated after this long (an offer that never came back, a description we
 * did not recognise it in) is forwarded anyway once the subscriber's transport is up.
 */
const NEGOTIATION_FALLBACK_MS = 2000;

/**
 * How often an attached video that has forwarded nothing yet is checked, and for how long. Its
 * first keyframe request can be lost: medooze drops a PLI within its window of another one to the
 * same source (a subscriber's own PLI, a layer switch, another transponder: requests the
 * publication does not see), and a Chromium publisher ignores one within 300 ms of the last it
 * honoured. medooze's transponder asks again only a second later (RTPStreamTransponder::onRTP):
 * in the Chromium first-frame bench about one joiner in ten decoded an earlier participant 500 to
 * 900 ms after the others. Asked again here, the keyframe comes one PLI window after the first try.
 */
const FIRST_PACKET_CHECK_MS = 150;
const FIRST_PACKET_WATCH_MS = 10_000;

/**
 * One publication forwarded to one subscriber: the medooze OutgoingStream on the subscriber's
 * transport, one outgoing track per publisher track, and the subscriber's layer wish for it. Owned
 * by the subscriber's peer (which made it and stops it), attached to the publication (which keeps
 * it in step with the publisher's tracks, mutes and ends it).
 *
 * A video track is forwarded (attached to the publisher's track) only once the subscriber can
 * receive it: its transport is up and the description carrying the track was answered (or
 * offered by the subscriber). Attaching is when medooze asks the publisher for a keyframe, and
 * every keyframe sent before that moment is lost to this subscriber (nothing goes out before DTLS
 * is up, and a client drops media of a transceiver it does not know yet), while the PLI that
 * asked for it still closes medooze's PLI window for everyone. So the keyframe is asked for
 * at the first moment it can be used, and the subscriber decodes a frame interval plus a round
 * trip later (or, when that request was lost, one PLI window more: see FIRST_PACKET_CHECK_MS).
 */
export class Subscription {
  /** Outgoing track per publisher track id. */
  readonly #tracks = new Map<string, OutgoingStreamTrack>();
  /** Video tracks made but not attached yet, with the publisher's track each will forward. */
  readonly #waiting = new Map<string, IncomingStreamTrack>();
  /** Waiting track ids in a description offered to the subscriber, not answered yet. */
  readonly #offered = new Set<string>();
  /** Waiting track ids the subscriber has in its description. */
  readonly #negotiated = new Set<string>();
  #fallback: NodeJS.Timeout | undefined;
  /** Attached video tracks that have not forwarded a packet yet (see FIRST_PACKET_CHECK_MS). */
  readonly #starting = new Set<OutgoingStreamTrack>();
  #startWatch: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly publication: Publication,
    private readonly outgoing: OutgoingStream,
    /** The subscriber's layer pin for this stream's video (undefined: chosen by bandwidth). */
    public preference: LayerPreference | undefined,
    /** Tells the owner the publication ended this subscription (not called for `stop()`). */
    private readonly onEnded: (subscription: Subscription) => void,
    /** Whether the subscriber's transport is up (DTLS connected). */
    private readonly canReceive: () => boolean = () => true,
    /**
     * Runs after video was attached, before its keyframe is asked for: the subscriber's layer
     * choice, so that a simulcast subscriber is on the encoding it keeps when the keyframe comes.
     */
    private readonly onAttached: () => void = () => undefined,
  ) {}

  /** Same as the publisher's msid stream id, so receivers map the stream to its participant. */
  get streamId(): string {
    return this.publication.id;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Matches the outgoing tracks to the publication's live tracks (video waits, see the class). */
  sync(): void {
    if (this.#stopped) return;
    const live = this.publication.liveTracks();
    const liveIds = new Set(live.map((track) => track.getId()));
    for (const [trackId, outgoingTrack] of this.#tracks) {
      if (!liveIds.has(trackId)) {
        this.#tracks.delete(trackId);
        this.#forgetWaiting(trackId);
        stopQuietly(outgoingTrack);
      }
    }
    for (const track of live) {
      if (this.#tracks.has(track.getId())) continue;
      const outgoingTrack = this.outgoing.createTrack(track.getMedia(), {
        id: track.getId(),
        media: track.getMedia(),
      });
      // A muted track stays muted for subscribers that come later.
      if (this.publication.isMuted(track.getId())) outgoingTrack.mute(true);
      this.#tracks.set(track.getId(), outgoingTrack);
      if (track.getMedia() === 'video') this.#waiting.set(track.getId(), track);
      else outgoingTrack.attachTo(track);
    }
    if (this.#waiting.size > 0 && !this.#fallback) {
      this.#fallback = setTimeout(
        guarded('negotiation fallback timer', () => {
          this.#fallback = undefined;
          if (this.#stopped) return;
          for (const trackId of this.#waiting.keys()) this.#negotiated.add(trackId);
          this.activate();
        }),
        NEGOTIATION_FALLBACK_MS,
      );
      this.#fallback.unref();
    }
    this.activate();
  }

  /** A description was offered to the subscriber: the waiting tracks it carries are on their way. */
  offered(sdp: string): void {
    for (const trackId of this.#waiting.keys()) if (sdp.includes(trackId)) this.#offered.add(trackId);
  }

  /** The subscriber answered the last offer: what it carried is negotiated. */
  answered(): void {
    for (const trackId of this.#offered) this.#negotiated.add(trackId);
    this.#offered.clear();
    this.activate();
  }

  /** The subscriber offered, and was answered with `sdp`: the waiting tracks it carries are negotiated. */
  negotiatedIn(sdp: string): void {
    for (const trackId of this.#waiting.keys()) if (sdp.includes(trackId)) this.#negotiated.add(trackId);
    this.activate();
  }

  /**
   * Forwards every waiting video track the subscriber can receive now, and asks the publisher for
   * the keyframe it starts from (the publication rate-limits the requests of all its subscribers).
   * Unless `mayHold` is false, the publication may hold the start for other subscribers about to
   * start, so that one keyframe starts them all (Publication.holdStart).
   */
  activate(mayHold = true): void {
    if (this.#stopped || this.#waiting.size === 0 || !this.canReceive()) return;
    const ready = [...this.#waiting.keys()].some((trackId) => this.#negotiated.has(trackId));
    if (ready && mayHold && this.publication.holdStart(this)) return;
    let attached = false;
    for (const [trackId, track] of [...this.#waiting]) {
      if (!this.#negotiated.has(trackId)) continue;
      const outgoingTrack = this.#tracks.get(trackId);
      this.#forgetWaiting(trackId);
      if (!outgoingTrack || track.stopped) continue;
      // A newly attached track is not switched smoothly (medooze's default; a smooth attach measured
      // the same): the transponder starts at the first packet its codec's layer selector lets
      // through, the start of a keyframe (VP9: scripts/medooze-patches/), the one asked for below.
      outgoingTrack.attachTo(track);
      this.#starting.add(outgoingTrack);
      attached = true;
    }
    if (this.#waiting.size === 0) {
      clearTimeout(this.#fallback);
      this.#fallback = undefined;
    }
    if (!attached) return;
    this.onAttached();
    this.publication.requestKeyframe();
    this.#watchFirstPackets(performance.now());
  }

  /**
   * Until every attached video has forwarded a packet, asks again for the keyframe it waits for
   * (the publication keeps the requests to one per PLI window). Stops after FIRST_PACKET_WATCH_MS:
   * a publisher that sends no video (camera off) is not asked forever.
   */
  #watchFirstPackets(since: number): void {
    if (this.#startWatch) return;
    this.#startWatch = setTimeout(
      guarded('first packet timer', () => {
        this.#startWatch = undefined;
        if (this.#stopped) return;
        for (const track of this.#starting) {
          // A muted track forwards nothing; unmuting asks for its keyframe (Publication.setMuted).
          if (track.stopped || this.publication.isMuted(track.getId()) || forwardedAny(track))
            this.#starting.delete(track);
        }
        if (this.#starting.size === 0 || performance.now() - since > FIRST_PACKET_WATCH_MS) {
          this.#starting.clear();
          return;
        }
        this.publication.requestKeyframe();
        this.#watchFirstPackets(since);
      }),
      FIRST_PACKET_CHECK_MS,
    );
    this.#startWatch.unref();
  }

  /**
   * Whether this subscriber is about to start video: its transport is up and an offer carrying a
   * waiting track was sent, not answered yet.
   */
  get aboutToStartVideo(): boolean {
    return !this.#stopped && this.#offered.size > 0 && this.canReceive();
  }

  /** Video tracks made for the subscriber but not forwarded yet (waiting until it can receive them). */
  get waitingTracks(): number {
    return this.#waiting.size;
  }

  #forgetWaiting(trackId: string): void {
    this.#waiting.delete(trackId);
    this.#offered.delete(trackId);
    this.#negotiated.delete(trackId);
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
    clearTimeout(this.#fallback);
    this.#fallback = undefined;
    clearTimeout(this.#startWatch);
    this.#startWatch = undefined;
    this.#starting.clear();
    this.#waiting.clear();
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

/** Whether an outgoing track has sent a packet (medooze's stats, at most 100 ms old). */
function forwardedAny(track: OutgoingStreamTrack): boolean {
  try {
    return track.getStats().numPackets > 0;
  } catch {
    // Stopped under us: nothing to wait for.
    return true;
  }
}
