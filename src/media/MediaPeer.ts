import type * as MediaServer from 'medooze-media-server';
import type {
  MediaPeer as MediaPeerPort,
  MediaPeerListener,
  PeerStats,
  PublishedStream,
  SessionDescription as SessionDescriptionPort,
  TrackKind,
} from '../conference/ports';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { LayerSelection } from './LayerSelection';
import type { LayerPreference } from './LayerSelector';
import {
  closeInSafeOrder,
  fixCreateTrack,
  guarded,
  leftHalfApplied,
  placeOnOfferedSections,
  restartIceForOffer,
  type SDPManager,
  withoutSimulcastWhereSending,
} from './medoozeQuirks';
import { Publication, type PublicationDirectory } from './Publication';
import { invalidSdp, SessionDescription } from './SessionDescription';
import { Subscription } from './Subscription';

type Transport = MediaServer.Transport;

export interface MediaPeerOptions {
  /** Unique among the engine's peers. */
  id: string;
  manager: SDPManager;
  offer: SessionDescription;
  listener: MediaPeerListener;
  /** Where the publications of other peers are found (the engine). */
  directory: PublicationDirectory;
  /** Called once, when the peer has released its native objects. */
  onClosed?: (peer: MediaPeer) => void;
  /**
   * Whether video forwarded to this peer may come in layers to choose from: simulcast encodings
   * (VP8 rooms that accept simulcast) or SVC layers (VP9 rooms). Without, no layer selection runs.
   */
  simulcast: boolean;
  svc: boolean;
}

/**
 * One participant's medooze transport and unified-plan SDP state. It translates medooze's
 * callbacks into the domain's listener and owns every native object it creates: its SDP manager
 * and transport, a Publication per stream it sends, and a Subscription per stream forwarded to it
 * (their outgoing streams live on its transport). Other peers are reached only through the
 * directory, by id.
 */
export class MediaPeer implements MediaPeerPort {
  readonly id: string;
  #answer: string | undefined;
  readonly #manager: SDPManager;
  readonly #listener: MediaPeerListener;
  readonly #directory: PublicationDirectory;
  readonly #onClosed: (peer: MediaPeer) => void;
  readonly #layered: { simulcast: boolean; svc: boolean };
  #transport: Transport | undefined;
  /** What it publishes, by stream id (one per medooze IncomingStream of its transport). */
  readonly #publications = new Map<string, Publication>();
  /** What is forwarded to it, by stream id. */
  readonly #subscriptions = new Map<string, Subscription>();
  /** Media sections (mid -> kind) of the last applied remote description: later ones keep them all. */
  #mids: ReadonlyMap<string, TrackKind> = new Map();
  #published: PublishedStream[] = [];
  /** Layer wishes per forwarded stream id; kept across unsubscribe/subscribe of the same stream. */
  readonly #preferences = new Map<string, LayerPreference>();
  #layers: LayerSelection | undefined;
  #connected = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: MediaPeerOptions) {
    const { manager, offer } = options;
    this.id = options.id;
    this.#manager = manager;
    this.#listener = options.listener;
    this.#directory = options.directory;
    this.#onClosed = options.onClosed ?? (() => undefined);
    this.#layered = { simulcast: options.simulcast, svc: options.svc };
    manager.on(
      'transport',
      guarded('transport', (transport) => this.#adopt(transport)),
    );
    manager.on(
      'renegotiationneeded',
      guarded('renegotiationneeded', () => {
        if (!this.#closed) this.#listener.onRenegotiationNeeded();
      }),
    );
    try {
      // The offer was checked when it was parsed; medooze parses the string again.
      manager.processRemoteDescription(offer.sdp);
      this.#mids = offer.mids;
    } catch (error) {
      this.#stopManager();
      throw invalidSdp(error);
    }
    this.#refreshPublications(false);
  }

  /**
   * The answer to the client's first offer, made at the first call (later calls return it again).
   * Made after the room subscribed this peer to the streams already there, so that the offer's
   * receive-only sections carry them (placeOnOfferedSections): the client receives them without a
   * server offer. What does not fit comes in the server's first offer.
   */
  createAnswer(): string {
    if (this.#answer !== undefined) return this.#answer;
    this.#assertOpen();
    placeOnOfferedSections(this.#manager);
    let answer: string;
    try {
      answer = withoutSimulcastWhereSending(this.#manager.createLocalDescription());
    } catch (error) {
      throw invalidSdp(error);
    }
    this.#answer = answer;
    // The client offered the sections these tracks are on: negotiated once it applies the answer,
    // which it does before its transport can be up (video waits for that, see Subscription).
    for (const subscription of this.#subscriptions.values()) subscription.negotiatedIn(answer);
    return answer;
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

  /** Its publication of stream `streamId`, while it is open and publishes it. */
  publication(streamId: string): Publication | undefined {
    const publication = this.#closed ? undefined : this.#publications.get(streamId);
    return publication?.ended ? undefined : publication;
  }

  publications(): Publication[] {
    return this.#closed ? [] : [...this.#publications.values()].filter((publication) => !publication.ended);
  }

  subscribedStreamIds(): string[] {
    return [...this.#subscriptions.keys()];
  }

  stats(): PeerStats {
    return {
      inbound: this.publications().flatMap((publication) => publication.stats()),
      outbound: [...this.#subscriptions.values()].flatMap((subscription) => subscription.stats()),
    };
  }

  /** RTP packets received on its publications plus ICE checks received: grows while it is heard. */
  activity(): number {
    if (this.#closed || !this.#transport) return 0;
    let heard = this.#transport.getStats().ice?.requestsReceived ?? 0;
    for (const publication of this.publications()) {
      for (const track of publication.stats()) heard += track.packets;
    }
    return heard;
  }

  createOffer(): string {
    this.#assertOpen();
    const offer = withoutSimulcastWhereSending(this.#manager.createLocalDescription());
    for (const subscription of this.#subscriptions.values()) subscription.offered(offer);
    return offer;
  }

  processAnswer(answer: SessionDescriptionPort): void {
    this.#assertOpen();
    this.#apply(SessionDescription.of(answer));
    // The client has applied the offer: the video it carried can be forwarded (once connected).
    for (const subscription of this.#subscriptions.values()) subscription.answered();
  }

  processOffer(offer: SessionDescriptionPort): string {
    this.#assertOpen();
    const description = SessionDescription.of(offer);
    // Checked before anything changes: a refused offer must not restart ICE either.
    description.assertKeeps(this.#mids);
    if (this.#transport && restartIceForOffer(this.#transport, description.ice)) {
      logger.info({ peer: this.id }, 'ICE restart asked by the client');
    }
    try {
      this.#apply(description);
      const answer = withoutSimulcastWhereSending(this.#manager.createLocalDescription());
      for (const subscription of this.#subscriptions.values()) subscription.negotiatedIn(answer);
      return answer;
    } catch (error) {
      if (leftHalfApplied(this.#manager)) {
        logger.warn('a client offer left the SDP manager half-applied; the participant is removed');
        queueMicrotask(() => {
          if (!this.#closed) this.#listener.onLost('NEGOTIATION_FAILED');
        });
      }
      throw invalidSdp(error);
    }
  }

  /** Forwards the publisher's stream to this peer; the engine finds the publication by the publisher's id. */
  subscribe(publisher: MediaPeerPort, streamId: string): void {
    this.#assertOpen();
    const publication = this.#directory.publication(publisher.id, streamId);
    if (!publication || !this.#transport) return;
    const existing = this.#subscriptions.get(streamId);
    if (existing?.publication === publication) {
      existing.sync();
      return;
    }
    if (existing) this.unsubscribe(streamId);
    const subscription = new Subscription(
      publication,
      this.#transport.createOutgoingStream({ id: streamId }),
      this.#preferences.get(streamId),
      (ended) => this.#forget(ended),
      () => this.#connected && !this.#closed,
      () => this.#layers?.adapt(),
      this.#layered.svc,
    );
    this.#subscriptions.set(streamId, subscription);
    publication.attach(subscription);
  }

  /**
   * Pins the spatial/temporal layer of the video of forwarded stream `streamId` (null: chosen by
   * bandwidth again). For simulcast, `spatial` indexes the encodings the publisher sends, lowest
   * resolution first; for SVC it is the spatial layer id. Too high a layer means the highest there is.
   * Remembered per stream id: it applies again if the subscription is made anew.
   */
  setPreferredLayer(streamId: string, spatial: number | null, temporal: number | null): void {
    this.#assertOpen();
    const preference = spatial === null && temporal === null ? undefined : { spatial, temporal };
    if (preference) this.#preferences.set(streamId, preference);
    else this.#preferences.delete(streamId);
    const subscription = this.#subscriptions.get(streamId);
    if (subscription) subscription.preference = preference;
    this.#layers?.adapt();
  }

  /** Whether one of its own tracks is muted (forwarded to nobody). */
  isTrackMuted(trackId: string): boolean {
    return [...this.#publications.values()].some((publication) => publication.isMuted(trackId));
  }

  /** Stops (or resumes) forwarding one of its own tracks to everyone who receives it. */
  setTrackMuted(trackId: string, muted: boolean): void {
    // Every publication keeps the mute, so it holds whichever stream carries the track.
    for (const publication of this.#publications.values()) publication.setMuted(trackId, muted);
  }

  unsubscribe(streamId: string): void {
    const subscription = this.#subscriptions.get(streamId);
    if (!subscription) return;
    this.#subscriptions.delete(streamId);
    subscription.stop();
  }

  /**
   * Ends its publications (other peers stop forwarding them), then closes its own native objects in
   * the order medooze needs (see closeInSafeOrder). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#stopLayerSelection();
      for (const publication of this.#publications.values()) publication.end();
      await closeInSafeOrder(this.#manager, {
        stopOutgoingStreams: () => {
          for (const streamId of [...this.#subscriptions.keys()]) this.unsubscribe(streamId);
        },
        stopManager: () => this.#stopManager(),
      });
      this.#publications.clear();
      this.#published = [];
      this.#onClosed(this);
    })();
    return this.#closing;
  }

  #apply(description: SessionDescription): void {
    // Checked first: medooze changes its state before it finds out an SDP is unusable.
    description.assertKeeps(this.#mids);
    for (const publication of this.#publications.values()) {
      publication.beforeDescription((streamId, trackId) => description.sends(streamId, trackId));
    }
    try {
      this.#manager.processRemoteDescription(description.sdp);
    } catch (error) {
      throw invalidSdp(error);
    }
    this.#mids = description.mids;
    this.#refreshPublications(true);
    // The publisher may have added or removed a track in a stream others already receive.
    for (const publication of this.#publications.values()) publication.tracksChanged();
  }

  /** A publication this peer receives ended: its subscription is gone. */
  #forget(subscription: Subscription): void {
    if (this.#subscriptions.get(subscription.streamId) === subscription) {
      this.#subscriptions.delete(subscription.streamId);
    }
  }

  #adopt(transport: Transport): void {
    this.#transport = transport;
    if (this.#layered.simulcast || this.#layered.svc) {
      this.#layers = new LayerSelection(transport, () => this.#subscriptions.values(), this.#layered.svc);
    }
    transport.on(
      'dtlsstate',
      guarded('dtlsstate', (state) => {
        if (this.#closed) return;
        if (state === 'connected' && !this.#connected) {
          this.#connected = true;
          // Video waited for this transport (see Subscription): forwarded from now, each from a
          // keyframe asked for now. And keyframes others asked of this peer before it was up.
          for (const subscription of this.#subscriptions.values()) subscription.activate();
          for (const publication of this.#publications.values()) publication.publisherReady();
        } else if (state === 'failed' || state === 'closed') {
          this.#listener.onLost('DISCONNECTED');
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
        if (!this.#closed) this.#listener.onLost('TIMEOUT');
      }),
    );
  }

  /**
   * Matches its publications to the transport's incoming streams. Streams are read after the whole
   * description is applied: medooze adds their tracks one by one.
   */
  #refreshPublications(notify: boolean): void {
    const incoming = this.#transport?.getIncomingStreams() ?? [];
    const current = new Set(incoming.map((stream) => stream.getId()));
    // A muted track stays muted in a stream published later (the mute is the publisher's).
    const muted = [...this.#publications.values()].flatMap((publication) => publication.mutedTrackIds());
    for (const [streamId, publication] of this.#publications) {
      if (current.has(streamId) && !publication.ended) continue;
      this.#publications.delete(streamId);
      publication.end();
    }
    for (const stream of incoming) {
      if (!this.#publications.has(stream.getId())) {
        this.#publications.set(
          stream.getId(),
          new Publication(this.id, stream, muted, () => this.#connected && !this.#closed),
        );
      }
    }
    const streams = [...this.#publications.values()]
      .map((publication) => publication.describe())
      .filter((stream) => stream.tracks.length > 0);
    const changed = JSON.stringify(streams) !== JSON.stringify(this.#published);
    this.#published = streams;
    if (notify && changed) this.#listener.onPublishedChanged(streams);
  }

  #stopLayerSelection(): void {
    this.#layers?.stop();
    this.#layers = undefined;
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
