import type * as MediaServer from 'medooze-media-server';
import type { TrackInfo as TrackInfoClass } from 'semantic-sdp';
import type {
  MediaPeer as MediaPeerPort,
  MediaPeerListener,
  PeerStats,
  PublishedStream,
  SessionDescription as SessionDescriptionPort,
  TrackStats,
  TrackKind,
} from '../conference/ports';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { type ForwardedVideo, type LayerPreference, LayerSelector } from './LayerSelector';
import { invalidSdp, SessionDescription } from './SessionDescription';

type SDPManager = ReturnType<MediaServer.Endpoint['createSDPManager']>;
type Transport = MediaServer.Transport;
type IncomingStream = MediaServer.IncomingStream;
type IncomingStreamTrack = MediaServer.IncomingStreamTrack;
type OutgoingStream = MediaServer.OutgoingStream;
type OutgoingStreamTrack = MediaServer.OutgoingStreamTrack;
type TrackInfo = InstanceType<typeof TrackInfoClass>;

interface Subscription {
  publisher: MediaPeer;
  outgoing: OutgoingStream;
  /** Outgoing track per publisher track id. */
  tracks: Map<string, OutgoingStreamTrack>;
}

/** medooze's answer to a second PLI within 500 ms is silence; ask again after that window. */
const KEYFRAME_RETRY_MS = 600;
/** Layers are chosen again this often (and at each bandwidth estimate, about every 250 ms). */
const LAYER_INTERVAL_MS = 1000;

export interface MediaPeerOptions {
  /**
   * Whether video forwarded to this peer may come in layers to choose from: simulcast encodings
   * (VP8 rooms that accept simulcast) or SVC layers (VP9 rooms). Without, no layer selection runs.
   */
  simulcast: boolean;
  svc: boolean;
}

/**
 * medooze re-throws whatever a listener throws from setImmediate, where nothing can catch it and the
 * process dies. So no code of ours runs inside a medooze callback unguarded.
 */
function guarded<A extends unknown[]>(what: string, listener: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      listener(...args);
    } catch (error) {
      logger.error({ err: error }, `error in the medooze ${what} callback`);
    }
  };
}

/** Stops a medooze object that may already have been stopped by medooze itself. */
function stopQuietly(object: { stop(): unknown }): void {
  try {
    object.stop();
  } catch (error) {
    logger.debug({ err: error }, 'stopping a medooze object that was already stopped');
  }
}

const CREATE_TRACK_FIXED = Symbol('createTrack fixed');

/**
 * medooze 1.156's SDPManagerUnified adds a track to a stream it already receives with
 * `stream.createTrack(trackInfo)`, where IncomingStream wants `createTrack(media, trackInfo)`: the
 * offer fails ("media.toLowerCase is not a function") when a client sends a track again in a stream
 * it sent before (camera unpublished, then published again). This accepts both forms.
 */
function fixCreateTrack(stream: IncomingStream): void {
  const fixed = stream as IncomingStream & { [CREATE_TRACK_FIXED]?: true };
  if (fixed[CREATE_TRACK_FIXED]) return;
  const createTrack = stream.createTrack.bind(stream);
  type Params = Parameters<IncomingStream['createTrack']>;
  stream.createTrack = (media: Params[0] | TrackInfo, params?: Params[1]) =>
    typeof media === 'object' && media !== null
      ? createTrack(media.getMedia(), media)
      : createTrack(media, params);
  fixed[CREATE_TRACK_FIXED] = true;
}

/**
 * medooze builds each new sending m-line of its offers by cloning the first m-line of that kind,
 * which is the publisher's own: a simulcast publisher would be offered `a=rid:… recv` and
 * `a=simulcast:recv` on m-lines where the server only sends. Chrome ignores that; stricter clients
 * need not. Rids and simulcast are dropped from every section the server does not receive on.
 */
function withoutSimulcastWhereSending(sdp: string): string {
  if (!sdp.includes('a=simulcast:')) return sdp;
  const [session, ...sections] = sdp.split(/\r\n(?=m=)/);
  return [
    session,
    ...sections.map((section) => {
      const lines = section.split('\r\n');
      if (!lines.some((line) => line === 'a=sendonly' || line === 'a=inactive')) return section;
      return lines
        .filter((line) => !line.startsWith('a=rid:') && !line.startsWith('a=simulcast:'))
        .join('\r\n');
    }),
  ].join('\r\n');
}

/**
 * One participant's medooze transport and unified-plan SDP state. It translates medooze's
 * callbacks into the domain's listener and owns every native object it creates: its SDP manager
 * and transport, and the outgoing streams that forward other participants to it.
 */
export class MediaPeer implements MediaPeerPort {
  readonly answer: string;
  readonly #manager: SDPManager;
  #transport: Transport | undefined;
  readonly #subscriptions = new Map<string, Subscription>();
  /** Peers that forward some of this peer's streams, so they follow when its tracks change. */
  readonly #subscribers = new Set<MediaPeer>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Media sections (mid -> kind) of the last applied remote description: later ones keep them all. */
  #mids: ReadonlyMap<string, TrackKind> = new Map();
  /** Its own tracks that are muted: nobody is forwarded them. */
  readonly #mutedTracks = new Set<string>();
  #published: PublishedStream[] = [];
  /** Layer wishes per forwarded stream id; kept across unsubscribe/subscribe of the same stream. */
  readonly #preferences = new Map<string, LayerPreference>();
  #layers: LayerSelector | undefined;
  #layerTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(
    manager: SDPManager,
    offer: SessionDescription,
    private readonly listener: MediaPeerListener,
    /** Called once, when the peer has released its native objects. */
    private readonly onClosed: (peer: MediaPeer) => void = () => undefined,
    private readonly options: MediaPeerOptions = { simulcast: false, svc: false },
  ) {
    this.#manager = manager;
    manager.on(
      'transport',
      guarded('transport', (transport) => this.#adopt(transport)),
    );
    manager.on(
      'renegotiationneeded',
      guarded('renegotiationneeded', () => {
        if (!this.#closed) this.listener.onRenegotiationNeeded();
      }),
    );
    try {
      // The offer was checked when it was parsed; medooze parses the string again.
      manager.processRemoteDescription(offer.sdp);
      this.answer = manager.createLocalDescription();
      this.#mids = offer.mids;
    } catch (error) {
      this.#stopManager();
      throw invalidSdp(error);
    }
    this.#refreshPublished(false);
  }

  get signalingState(): string {
    return this.#manager.state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  publishedStreams(): PublishedStream[] {
    return this.#published;
  }

  subscribedStreamIds(): string[] {
    return [...this.#subscriptions.keys()];
  }

  /** Audio tracks it publishes now (for active speaker detection). */
  incomingAudioTracks(): IncomingStreamTrack[] {
    return (this.#transport?.getIncomingStreams() ?? []).flatMap((stream) =>
      this.#liveTracks(stream).filter((track) => track.getMedia() === 'audio'),
    );
  }

  stats(): PeerStats {
    const inbound: TrackStats[] = [];
    for (const stream of this.#transport?.getIncomingStreams() ?? []) {
      for (const track of this.#liveTracks(stream)) {
        const figures: TrackStats = {
          trackId: track.getId(),
          streamId: stream.getId(),
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
        inbound.push(figures);
      }
    }
    const outbound: TrackStats[] = [];
    for (const [streamId, subscription] of this.#subscriptions) {
      for (const [trackId, track] of subscription.tracks) {
        const stats = track.getStats();
        // The subscriber's RTCP receiver reports: its losses, and jitter in RTP clock units.
        const reported = stats.media.reported;
        const clockRate = track.getMedia() === 'audio' ? 48_000 : 90_000;
        outbound.push({
          trackId,
          streamId,
          kind: track.getMedia() as TrackKind,
          bitrate: stats.bitrate,
          packets: stats.numPackets,
          packetsLost: reported?.lostCount ?? 0,
          rtt: stats.rtt,
          frames: stats.numFrames,
          jitter: reported ? (reported.jitter / clockRate) * 1000 : null,
        });
      }
    }
    return { inbound, outbound };
  }

  createOffer(): string {
    this.#assertOpen();
    return withoutSimulcastWhereSending(this.#manager.createLocalDescription());
  }

  processAnswer(answer: SessionDescriptionPort): void {
    this.#assertOpen();
    this.#apply(SessionDescription.of(answer));
  }

  processOffer(offer: SessionDescriptionPort): string {
    this.#assertOpen();
    const description = SessionDescription.of(offer);
    try {
      this.#apply(description);
      return withoutSimulcastWhereSending(this.#manager.createLocalDescription());
    } catch (error) {
      this.#recoverFromFailedOffer();
      throw invalidSdp(error);
    }
  }

  /**
   * medooze moves to 'remote-offer' as soon as it has read an offer, even one it then fails to
   * answer, with its transceivers half updated: such a peer can never be offered anything again.
   * SessionDescription's checks refuse what we know to cause this; should anything else, the peer is given up
   * (its participant is removed with NEGOTIATION_FAILED and may join again) rather than left stuck.
   */
  #recoverFromFailedOffer(): void {
    if (this.#manager.state !== 'remote-offer') return;
    logger.warn('a client offer left the SDP manager half-applied; the participant is removed');
    queueMicrotask(() => {
      if (!this.#closed) this.listener.onLost('NEGOTIATION_FAILED');
    });
  }

  subscribe(publisher: MediaPeerPort, streamId: string): void {
    this.#assertOpen();
    if (!(publisher instanceof MediaPeer)) throw new Error('publisher is not a medooze peer');
    const incoming = publisher.#incomingStream(streamId);
    if (!incoming || !this.#transport) return;
    let subscription = this.#subscriptions.get(streamId);
    if (!subscription) {
      // Same stream id as the publisher's msid, so receivers map the stream to its participant.
      const outgoing = this.#transport.createOutgoingStream({ id: streamId });
      subscription = { publisher, outgoing, tracks: new Map() };
      this.#subscriptions.set(streamId, subscription);
      publisher.#subscribers.add(this);
    }
    this.#syncTracks(subscription, incoming);
  }

  /**
   * Pins the spatial/temporal layer of the video of forwarded stream `streamId` (null: chosen by
   * bandwidth again). For simulcast, `spatial` indexes the encodings the publisher sends, lowest
   * resolution first; for SVC it is the spatial layer id. Too high a layer means the highest there is.
   * Remembered per stream id: it applies again if the subscription is made anew.
   */
  setPreferredLayer(streamId: string, spatial: number | null, temporal: number | null): void {
    this.#assertOpen();
    if (spatial === null && temporal === null) this.#preferences.delete(streamId);
    else this.#preferences.set(streamId, { spatial, temporal });
    this.#adaptLayers();
  }

  /** Stops (or resumes) forwarding one of its own tracks to everyone who receives it. */
  setTrackMuted(trackId: string, muted: boolean): void {
    if (muted) this.#mutedTracks.add(trackId);
    else this.#mutedTracks.delete(trackId);
    for (const subscriber of this.#subscribers) {
      for (const subscription of subscriber.#subscriptions.values()) {
        if (subscription.publisher === this) subscription.tracks.get(trackId)?.mute(muted);
      }
    }
    if (!muted) {
      // Receivers resume mid-stream: they need a keyframe to decode anything.
      for (const stream of this.#transport?.getIncomingStreams() ?? []) {
        const track = stream.getTrack(trackId);
        if (track && !track.stopped && track.getMedia() === 'video') track.refresh();
      }
    }
  }

  unsubscribe(streamId: string): void {
    const subscription = this.#subscriptions.get(streamId);
    if (!subscription) return;
    this.#subscriptions.delete(streamId);
    stopQuietly(subscription.outgoing);
    const { publisher } = subscription;
    if (![...this.#subscriptions.values()].some((other) => other.publisher === publisher)) {
      publisher.#subscribers.delete(this);
    }
  }

  /**
   * Closes in the order medooze needs: outgoing streams first, then (after medooze's zero-delay
   * renegotiation timer for them has run, which would otherwise throw from a stopped emitter and
   * take the process down) the SDP manager and its transport. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#stopLayerSelection();
      for (const streamId of [...this.#subscriptions.keys()]) this.unsubscribe(streamId);
      // medooze schedules `renegotiationneeded` on a zero-delay timer when outgoing tracks stop;
      // firing on a stopped manager it throws where nobody can catch it. Let every such timer run.
      for (let waited = 0; this.#renegotiationPending() && waited < 100; waited += 5) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      this.#stopManager();
      this.#published = [];
      this.onClosed(this);
    })();
    return this.#closing;
  }

  #apply(description: SessionDescription): void {
    // Checked first: medooze changes its state before it finds out an SDP is unusable.
    description.assertKeeps(this.#mids);
    try {
      this.#manager.processRemoteDescription(description.sdp);
    } catch (error) {
      throw invalidSdp(error);
    }
    this.#mids = description.mids;
    this.#refreshPublished(true);
    // The publisher may have added a track to a stream others already receive.
    for (const subscriber of this.#subscribers) subscriber.#resync(this);
  }

  /** Whether SDPManagerUnified has a `renegotiationneeded` timer scheduled. */
  #renegotiationPending(): boolean {
    return 'renegotiationNeeded' in this.#manager && this.#manager.renegotiationNeeded === true;
  }

  #adopt(transport: Transport): void {
    this.#transport = transport;
    if (this.options.simulcast || this.options.svc) this.#startLayerSelection(transport);
    transport.on(
      'dtlsstate',
      guarded('dtlsstate', (state) => {
        if (this.#closed) return;
        if (state === 'connected' && !this.#connected) {
          this.#connected = true;
          // The keyframe asked for at subscription time went out before this transport could
          // receive it; ask again now, and once more past medooze's PLI rate limit.
          this.#requestKeyframes();
          this.#later(KEYFRAME_RETRY_MS, () => this.#requestKeyframes());
        } else if (state === 'failed' || state === 'closed') {
          this.listener.onLost('DISCONNECTED');
        }
      }),
    );
    transport.on(
      'incomingtrack',
      guarded('incomingtrack', (_track, stream) => {
        if (stream) fixCreateTrack(stream);
      }),
    );
    transport.on(
      'icetimeout',
      guarded('icetimeout', () => {
        if (!this.#closed) this.listener.onLost('TIMEOUT');
      }),
    );
  }

  #incomingStream(streamId: string): IncomingStream | undefined {
    return this.#closed ? undefined : this.#transport?.getIncomingStream(streamId);
  }

  #liveTracks(stream: IncomingStream): IncomingStreamTrack[] {
    return stream.getTracks().filter((track) => !track.stopped);
  }

  /** Streams are read after the whole description is applied: medooze adds their tracks one by one. */
  #refreshPublished(notify: boolean): void {
    const streams: PublishedStream[] = [];
    for (const stream of this.#transport?.getIncomingStreams() ?? []) {
      const tracks = this.#liveTracks(stream).map((track) => ({
        id: track.getId(),
        kind: track.getMedia() as TrackKind,
      }));
      if (tracks.length > 0) streams.push({ id: stream.getId(), tracks });
    }
    const changed = JSON.stringify(streams) !== JSON.stringify(this.#published);
    this.#published = streams;
    if (notify && changed) this.listener.onPublishedChanged(streams);
  }

  #syncTracks(subscription: Subscription, incoming: IncomingStream): void {
    const live = this.#liveTracks(incoming);
    const liveIds = new Set(live.map((track) => track.getId()));
    for (const [trackId, outgoingTrack] of subscription.tracks) {
      if (!liveIds.has(trackId)) {
        subscription.tracks.delete(trackId);
        stopQuietly(outgoingTrack);
      }
    }
    for (const track of live) {
      if (subscription.tracks.has(track.getId())) continue;
      const outgoingTrack = subscription.outgoing.createTrack(track.getMedia(), {
        id: track.getId(),
        media: track.getMedia(),
      });
      outgoingTrack.attachTo(track);
      if (subscription.publisher.#mutedTracks.has(track.getId())) outgoingTrack.mute(true);
      subscription.tracks.set(track.getId(), outgoingTrack);
      if (track.getMedia() === 'video') track.refresh();
    }
  }

  #resync(publisher: MediaPeer): void {
    for (const [streamId, subscription] of this.#subscriptions) {
      if (subscription.publisher !== publisher) continue;
      const incoming = publisher.#incomingStream(streamId);
      if (incoming) this.#syncTracks(subscription, incoming);
    }
  }

  #requestKeyframes(): void {
    for (const [streamId, subscription] of this.#subscriptions) {
      const incoming = subscription.publisher.#incomingStream(streamId);
      for (const track of incoming?.getVideoTracks() ?? []) {
        try {
          if (!track.stopped) track.refresh();
        } catch (error) {
          logger.debug({ err: error }, 'keyframe request on a stopping track');
        }
      }
    }
  }

  #later(ms: number, action: () => void): void {
    const timer = setTimeout(
      guarded('timer', () => {
        this.#timers.delete(timer);
        if (!this.#closed) action();
      }),
      ms,
    );
    this.#timers.add(timer);
  }

  #startLayerSelection(transport: Transport): void {
    this.#layers = new LayerSelector(transport);
    transport.on(
      'targetbitrate',
      guarded('targetbitrate', (target) => {
        if (this.#closed || !this.#layers) return;
        this.#layers.setTarget(target);
        this.#adaptLayers();
      }),
    );
    // Also without estimates (none before media flows), so pins and new encodings are applied.
    this.#layerTimer = setInterval(
      guarded('layer timer', () => this.#adaptLayers()),
      LAYER_INTERVAL_MS,
    );
    this.#layerTimer.unref();
  }

  #stopLayerSelection(): void {
    clearInterval(this.#layerTimer);
    this.#layerTimer = undefined;
    this.#layers = undefined;
  }

  /** Chooses the layers of every forwarded video that has some to choose from. */
  #adaptLayers(): void {
    const layers = this.#layers;
    if (this.#closed || !layers) return;
    const forwarded: ForwardedVideo[] = [];
    const others: OutgoingStreamTrack[] = [];
    for (const [streamId, subscription] of this.#subscriptions) {
      for (const track of subscription.tracks.values()) {
        const incoming = track.getTransponder()?.getIncomingTrack();
        const layered =
          track.getMedia() === 'video' &&
          !!incoming &&
          (incoming.getEncodings().length > 1 || this.options.svc);
        if (layered) forwarded.push({ streamId, track });
        else others.push(track);
      }
    }
    if (forwarded.length === 0) return;
    try {
      const otherBitrate = others.reduce((sum, track) => sum + track.getStats().bitrate, 0);
      layers.allocate(forwarded, this.#preferences, otherBitrate);
    } catch (error) {
      // An encoding or track can vanish between reading the layers and selecting one.
      logger.debug({ err: error }, 'layer selection skipped');
    }
  }

  #stopManager(): void {
    this.#stopLayerSelection();
    try {
      this.#manager.stop();
    } catch (error) {
      logger.warn({ err: error }, 'stopping an SDP manager failed');
    }
    this.#transport = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, 'This participant has left.');
  }
}
