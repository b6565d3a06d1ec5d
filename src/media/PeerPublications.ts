import type * as MediaServer from 'medooze-media-server';
import type { PublishedStream } from '../conference/ports';
import { Publication } from './Publication';

type IncomingStream = MediaServer.IncomingStream;

/**
 * What one peer publishes: a Publication per medooze IncomingStream of its transport, by stream id,
 * and the streams it describes to the room (those that carry tracks).
 */
export class PeerPublications {
  /** What it publishes, by stream id (one per medooze IncomingStream of its transport). */
  readonly #byStreamId = new Map<string, Publication>();
  #published: PublishedStream[] = [];

  /** `publisherConnected`: whether the peer's transport is up (and the peer open). */
  constructor(
    private readonly peerId: string,
    private readonly publisherConnected: () => boolean,
  ) {}

  /** The streams it publishes with tracks, as last matched. */
  get published(): PublishedStream[] {
    return this.#published;
  }

  /** Its publication of stream `streamId`, unless that has ended. */
  get(streamId: string): Publication | undefined {
    const publication = this.#byStreamId.get(streamId);
    return publication?.ended ? undefined : publication;
  }

  /** Its publications that have not ended. */
  live(): Publication[] {
    return [...this.#byStreamId.values()].filter((publication) => !publication.ended);
  }

  /** Every publication it holds, ended ones too. */
  all(): IterableIterator<Publication> {
    return this.#byStreamId.values();
  }

  /** Whether one of its tracks is muted (forwarded to nobody). */
  isTrackMuted(trackId: string): boolean {
    return [...this.#byStreamId.values()].some((publication) => publication.isMuted(trackId));
  }

  setTrackMuted(trackId: string, muted: boolean): void {
    // Every publication keeps the mute, so it holds whichever stream carries the track.
    for (const publication of this.#byStreamId.values()) publication.setMuted(trackId, muted);
  }

  /**
   * Matches its publications to the transport's incoming streams: ends those whose stream is gone,
   * adds one per new stream. Returns what it publishes now if that changed, else undefined.
   */
  match(incoming: IncomingStream[]): PublishedStream[] | undefined {
    const current = new Set(incoming.map((stream) => stream.getId()));
    // A muted track stays muted in a stream published later (the mute is the publisher's).
    const muted = [...this.#byStreamId.values()].flatMap((publication) => publication.mutedTrackIds());
    for (const [streamId, publication] of this.#byStreamId) {
      if (current.has(streamId) && !publication.ended) continue;
      this.#byStreamId.delete(streamId);
      publication.end();
    }
    for (const stream of incoming) {
      if (!this.#byStreamId.has(stream.getId())) {
        this.#byStreamId.set(
          stream.getId(),
          new Publication(this.peerId, stream, muted, this.publisherConnected),
        );
      }
    }
    const streams = [...this.#byStreamId.values()]
      .map((publication) => publication.describe())
      .filter((stream) => stream.tracks.length > 0);
    const changed = JSON.stringify(streams) !== JSON.stringify(this.#published);
    this.#published = streams;
    return changed ? streams : undefined;
  }

  /** Ends every publication (other peers stop forwarding them); `clear` forgets them. */
  endAll(): void {
    for (const publication of this.#byStreamId.values()) publication.end();
  }

  clear(): void {
    this.#byStreamId.clear();
    this.#published = [];
  }
}
