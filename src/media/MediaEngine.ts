import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import * as MediaServer from 'medooze-media-server';
import type {
  MediaPeer as MediaPeerPort,
  MediaPeerFactory,
  MediaPeerListener,
  RecordingMedia,
  SessionDescription as SessionDescriptionPort,
} from '../conference/ports';
import type { VideoCodec } from '../conference/codecs';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { capabilitiesFor, simulcastSupported } from './capabilities';
import { MediaPeer } from './MediaPeer';
import type { Publication, PublicationDirectory } from './Publication';
import { SessionDescription } from './SessionDescription';
import { SpeakerDetector } from './SpeakerDetector';
import { StreamRecorder } from './StreamRecorder';

export interface MediaEngineOptions {
  /** The IPv4 address announced in ICE candidates (what peers send media to). */
  announcedIp: string;
  /**
   * The local IPv4 address the endpoint's UDP socket binds (MEDIA_LISTEN_IP): by default the
   * announced address when it is one of this host's, else 0.0.0.0 (an address behind NAT).
   */
  listenIp?: string;
  portRange?: { min: number; max: number };
  /** Let medooze print its own log and warning lines on stdout (MEDIA_LOG); off by default. */
  log?: boolean;
  /** Where recordings are written (RECORDINGS_DIR); without it nothing can be recorded. */
  recordingsDir?: string;
}

const ANY_ADDRESS = '0.0.0.0';

/** Whether `ip` is an IPv4 address of one of this host's interfaces (loopback included). */
function isLocalAddress(ip: string): boolean {
  return Object.values(networkInterfaces()).some((addresses) =>
    (addresses ?? []).some((address) => address.family === 'IPv4' && address.address === ip),
  );
}

export interface MediaStatus {
  state: 'stopped' | 'running';
  /** The UDP port of the endpoint's socket (0 when stopped). */
  port: number;
  announcedIp: string;
  /** The address the endpoint's socket is bound to (0.0.0.0: all of them). */
  listenIp: string;
}

/**
 * Owns medooze's process-wide state and the one endpoint (UDP socket, ICE-lite, DTLS-SRTP)
 * every participant's transport shares. It keeps its peers by id, and that is how a peer reaches
 * another's publications (subscribe, speaker detection): through the engine, by id.
 */
export class MediaEngine implements MediaPeerFactory, PublicationDirectory, RecordingMedia {
  #endpoint: MediaServer.Endpoint | null = null;
  readonly #peers = new Map<string, MediaPeer>();
  #terminated = false;

  /** The address the endpoint binds: MEDIA_LISTEN_IP, else the announced one if it is local. */
  readonly listenIp: string;

  constructor(private readonly options: MediaEngineOptions) {
    this.listenIp =
      options.listenIp ?? (isLocalAddress(options.announcedIp) ? options.announcedIp : ANY_ADDRESS);
  }

  start(): void {
    if (this.#endpoint) return;
    // medooze's C++ traces go straight to stdout; ours go through the logger.
    MediaServer.enableLog(!!this.options.log);
    MediaServer.enableWarning(!!this.options.log);
    if (this.#terminated)
      throw new Error('the media engine was terminated and cannot restart in this process');
    if (this.options.portRange) {
      const { min, max } = this.options.portRange;
      if (!MediaServer.setPortRange(min, max))
        throw new Error(`medooze refused the RTP port range ${min}-${max}`);
    }
    // medooze binds 0.0.0.0 unless told (scripts/medooze-patches/bundle-binds-announced-address.patch):
    // its answers then leave from whichever address the kernel picks, and a peer that checked the
    // announced one drops them and connects ~50 ms later through a peer-reflexive candidate.
    const listenIp = this.listenIp;
    const bind = listenIp === ANY_ADDRESS ? {} : { bindIp: listenIp };
    try {
      this.#endpoint = MediaServer.createEndpoint(
        this.options.announcedIp,
        bind as unknown as Parameters<typeof MediaServer.createEndpoint>[1],
      );
    } catch (error) {
      if (listenIp === ANY_ADDRESS) throw error;
      throw new Error(
        `the media socket could not bind ${listenIp} (MEDIA_LISTEN_IP, else MEDIA_ANNOUNCED_IP): it must be an address of this host`,
        { cause: error },
      );
    }
    logger.info(
      { ip: this.options.announcedIp, listenIp, port: this.#endpoint.getLocalPort() },
      'media endpoint started',
    );
  }

  get endpoint(): MediaServer.Endpoint {
    if (!this.#endpoint) throw new Error('the media engine is not started');
    return this.#endpoint;
  }

  create(
    offer: SessionDescriptionPort,
    options: { videoCodec: VideoCodec; simulcast?: boolean; listener: MediaPeerListener },
  ): MediaPeer {
    const description = SessionDescription.of(offer);
    const manager = this.endpoint.createSDPManager(
      'unified-plan',
      capabilitiesFor(options.videoCodec, options.simulcast ?? false),
    );
    const peer = new MediaPeer({
      id: randomUUID(),
      manager,
      offer: description,
      listener: options.listener,
      directory: this,
      onClosed: (closed) => this.#peers.delete(closed.id),
      simulcast: (options.simulcast ?? false) && simulcastSupported(options.videoCodec),
      svc: options.videoCodec === 'VP9',
    });
    this.#peers.set(peer.id, peer);
    return peer;
  }

  parseDescription(sdp: string): SessionDescription {
    return SessionDescription.parse(sdp);
  }

  createSpeakerDetector(onChange: (peer: MediaPeerPort) => void): SpeakerDetector {
    return new SpeakerDetector(onChange, this);
  }

  /** Records a stream a peer publishes into `file` (relative to the recordings directory). */
  record(peer: MediaPeerPort, streamId: string, file: string): StreamRecorder {
    const dir = this.options.recordingsDir;
    if (!dir) throw new Error('no recordings directory is configured');
    const target = path.resolve(dir, file);
    if (!target.startsWith(path.resolve(dir) + path.sep))
      throw new Error(`"${file}" is outside the recordings directory`);
    const publication = this.publication(peer.id, streamId);
    if (!publication) {
      throw new DomainError(ErrorCode.STREAM_NOT_FOUND, `Peer ${peer.id} does not publish "${streamId}".`);
    }
    return new StreamRecorder(publication, target);
  }

  publication(peerId: string, streamId: string): Publication | undefined {
    return this.#peers.get(peerId)?.publication(streamId);
  }

  publicationsOf(peerId: string): Publication[] {
    return this.#peers.get(peerId)?.publications() ?? [];
  }

  isOpen(peerId: string): boolean {
    return this.#peers.get(peerId)?.closed === false;
  }

  /** Peers not closed yet (leak checks). */
  openPeers(): MediaPeer[] {
    return [...this.#peers.values()].filter((peer) => !peer.closed);
  }

  /** Native objects still alive in medooze itself, for leak checks: transports and their streams. */
  nativeObjects(): { transports: number; incomingStreams: number; outgoingStreams: number } {
    const transports = [...(this.#endpoint?.transports ?? [])];
    return {
      transports: transports.length,
      incomingStreams: transports.reduce((sum, transport) => sum + transport.incomingStreams.size, 0),
      outgoingStreams: transports.reduce((sum, transport) => sum + transport.outgoingStreams.size, 0),
    };
  }

  status(): MediaStatus {
    return {
      state: this.#endpoint ? 'running' : 'stopped',
      port: this.#endpoint?.getLocalPort() ?? 0,
      announcedIp: this.options.announcedIp,
      listenIp: this.listenIp,
    };
  }

  /**
   * Resolves once every peer whose close has begun has released its native objects. A leave is
   * answered before that (ConferenceService.leave), so shutdown and leak checks wait here.
   */
  async settled(): Promise<void> {
    const closing = [...this.#peers.values()].map((peer) => peer.closing).filter((c) => c !== undefined);
    await Promise.allSettled(closing);
  }

  /** Stops the endpoint; idempotent. Transports must have been closed by their owners first. */
  stop(): void {
    const endpoint = this.#endpoint;
    this.#endpoint = null;
    endpoint?.stop();
  }

  /**
   * Releases medooze's process-wide threads so Node can exit. medooze allows it once per
   * process, so it is a separate, final step of shutdown.
   */
  terminate(): void {
    this.stop();
    if (this.#terminated) return;
    this.#terminated = true;
    MediaServer.terminate();
  }
}
