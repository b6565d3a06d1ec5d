import * as MediaServer from 'medooze-media-server';
import type { MediaPeer as MediaPeerPort, SpeakerDetector as SpeakerDetectorPort } from '../conference/ports';
import { logger } from '../shared/logger';
import type { PublicationDirectory } from './Publication';

type IncomingStreamTrack = MediaServer.IncomingStreamTrack;

/**
 * One room's active speaker detection: medooze's detector over the audio tracks the room's
 * participants publish (it reads the ssrc-audio-level header extension clients send). A followed
 * peer's tracks are found through the engine by the peer's id.
 */
export class SpeakerDetector implements SpeakerDetectorPort {
  readonly #detector = MediaServer.createActiveSpeakerDetector();
  readonly #speakers = new Map<IncomingStreamTrack, MediaPeerPort>();
  #stopped = false;

  constructor(
    onChange: (peer: MediaPeerPort) => void,
    private readonly directory: PublicationDirectory,
  ) {
    // Switching faster than this makes the highlight flicker between people talking over each other.
    this.#detector.setMinChangePeriod(1000);
    this.#detector.on('activespeakerchanged', (track) => {
      try {
        const peer = this.#speakers.get(track);
        if (peer && this.directory.isOpen(peer.id) && !this.#stopped) onChange(peer);
      } catch (error) {
        logger.error({ err: error }, 'error in the active speaker callback');
      }
    });
  }

  follow(peer: MediaPeerPort): void {
    if (this.#stopped) return;
    const current = new Set(
      this.directory.publicationsOf(peer.id).flatMap((publication) => publication.audioTracks()),
    );
    for (const [track, owner] of this.#speakers) {
      if (owner.id === peer.id && !current.has(track)) this.#remove(track);
    }
    for (const track of current) {
      if (this.#speakers.has(track)) continue;
      this.#speakers.set(track, peer);
      this.#detector.addSpeaker(track);
    }
  }

  forget(peer: MediaPeerPort): void {
    for (const [track, owner] of this.#speakers) if (owner.id === peer.id) this.#remove(track);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const track of [...this.#speakers.keys()]) this.#remove(track);
    this.#detector.stop();
  }

  #remove(track: IncomingStreamTrack): void {
    this.#speakers.delete(track);
    try {
      this.#detector.removeSpeaker(track);
    } catch (error) {
      logger.debug({ err: error }, 'removing a speaker whose track already stopped');
    }
  }
}
