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
import {
  applyRemoteDescription,
  closeInSafeOrder,
  fixCreateTrack,
  guarded,
  leftHalfApplied,
  placeOnOfferedSections,
  restartIceForOffer,
  type SDPManager,
  withoutSimulcastWhereSending,
} from './medoozeQuirks';
import { PeerPublications } from './PeerPublications';
import { PeerSubscriptions } from './PeerSubscriptions';
import type { Publication, PublicationDirectory } from './Publication';
import { invalidSdp, SessionDescription } from './SessionDescription';

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
  /** What it publishes: a Publication per stream it sends. */
  readonly #publications: PeerPublications;
  /** What is forwarded to it: a Subscription per stream, and the choice of their layers. */
  readonly #subscriptions: PeerSubscriptions;
  /** Media sections (mid -> kind) of the last applied remote description: later ones keep them all. */
  #mids: ReadonlyMap<string, TrackKind> = new Map();
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
    this.#publications = new PeerPublications(this.id, () => this.#connected && !this.#closed);
    this.#subscriptions = new PeerSubscriptions(() => this.#connected && !this.#closed);
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
      // The offer was checked when it was parsed; medooze takes it parsed.
      applyRemoteDescription(manager, offer);
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
    for (const subscription of this.#subscriptions.all()) subscription.negotiatedIn(answer);
    return answer;
  }

  get signalingState(): string {
    return this.#manager.state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  publishedStreams(): PublishedStream[] {
    return this.#publications.published;
  }

  /** Its publication of stream `streamId`, while it is open and publishes it. */
  publication(streamId: string): Publication | undefined {
    return this.#closed ? undefined : this.#publications.get(streamId);
  }

  publications(): Publication[] {
    return this.#closed ? [] : this.#publications.live();
  }

  subscribedStreamIds(): string[] {
    return this.#subscriptions.streamIds();
  }

  stats(): PeerStats {
    return {
      inbound: this.publications().flatMap((publication) => publication.stats()),
      outbound: [...this.#subscriptions.all()].flatMap((subscription) => subscription.stats()),
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
    for (const subscription of this.#subscriptions.all()) subscription.offered(offer);
    return offer;
  }

  processAnswer(answer: SessionDescriptionPort): void {
    this.#assertOpen();
    this.#apply(SessionDescription.of(answer));
    // The client has applied the offer: the video it carried can be forwarded (once connected).
    for (const subscription of this.#subscriptions.all()) subscription.answered();
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
      for (const subscription of this.#subscriptions.all()) subscription.negotiatedIn(answer);
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
    this.#subscriptions.subscribe(this.#transport, publication, streamId);
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
    this.#subscriptions.setPreference(streamId, preference);
  }

  /** Whether one of its own tracks is muted (forwarded to nobody). */
  isTrackMuted(trackId: string): boolean {
    return this.#publications.isTrackMuted(trackId);
  }

  /** Stops (or resumes) forwarding one of its own tracks to everyone who receives it. */
  setTrackMuted(trackId: string, muted: boolean): void {
    this.#publications.setTrackMuted(trackId, muted);
  }

  unsubscribe(streamId: string): void {
    this.#subscriptions.unsubscribe(streamId);
  }

  /** The release under way (see close), or undefined while the peer is open. */
  get closing(): Promise<void> | undefined {
    return this.#closing;
  }

  /**
   * Ends its publications (other peers stop forwarding them), then closes its own native objects in
   * the order medooze needs (see closeInSafeOrder). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#subscriptions.stopLayerSelection();
      this.#publications.endAll();
      await closeInSafeOrder(this.#manager, {
        stopOutgoingStreams: () => this.#subscriptions.unsubscribeAll(),
        stopManager: () => this.#stopManager(),
      });
      this.#publications.clear();
      this.#onClosed(this);
    })();
    return this.#closing;
  }

  #apply(description: SessionDescription): void {
    // Checked first: medooze changes its state before it finds out an SDP is unusable.
    description.assertKeeps(this.#mids);
    for (const publication of this.#publications.all()) {
      publication.beforeDescription((streamId, trackId) => description.sends(streamId, trackId));
    }
    try {
      applyRemoteDescription(this.#manager, description);
    } catch (error) {
      throw invalidSdp(error);
    }
    this.#mids = description.mids;
    this.#refreshPublications(true);
    // The publisher may have added or removed a track in a stream others already receive.
    for (const publication of this.#publications.all()) publication.tracksChanged();
  }

  #adopt(transport: Transport): void {
    this.#transport = transport;
    if (this.#layered.simulcast || this.#layered.svc) {
      this.#subscriptions.selectLayers(transport, this.#layered.svc);
    }
    transport.on(
      'dtlsstate',
      guarded('dtlsstate', (state) => {
        if (this.#closed) return;
        if (state === 'connected' && !this.#connected) {
          this.#connected = true;
          // Video waited for this transport (see Subscription): forwarded from now, each from a
          // keyframe asked for now. And keyframes others asked of this peer before it was up.
          for (const subscription of this.#subscriptions.all()) subscription.activate();
          for (const publication of this.#publications.all()) publication.publisherReady();
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
    const changed = this.#publications.match(this.#transport?.getIncomingStreams() ?? []);
    if (notify && changed) this.#listener.onPublishedChanged(changed);
  }

  #stopManager(): void {
    this.#subscriptions.stopLayerSelection();
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
