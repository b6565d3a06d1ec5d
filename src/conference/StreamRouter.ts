import { DomainError, ErrorCode } from '../shared/errors';
import { RoomEventType } from './events';
import type { Participant } from './Participant';
import type { PublishedStream } from './ports';
import type { NewRoomEvent } from './RoomEventLog';

/**
 * Who receives whose streams in one room: every stream a member publishes reaches every other member
 * allowed to subscribe. The one place that knows what a member publishes in the room (a stream id
 * someone else already publishes is refused: it would be ambiguous for receivers).
 */
export class StreamRouter {
  readonly #published = new Map<Participant, PublishedStream[]>();

  constructor(private readonly record: (event: NewRoomEvent) => void) {}

  /** What the room forwards of `participant`'s streams. */
  publishedBy(participant: Participant): PublishedStream[] {
    return this.#published.get(participant) ?? [];
  }

  /** Total streams published in the room. */
  get streamCount(): number {
    let count = 0;
    for (const streams of this.#published.values()) count += streams.length;
    return count;
  }

  /**
   * Stream ids name streams for every receiver, so one id belongs to one publisher in a room:
   * INVALID_SDP for a joiner whose offer reuses an id someone here already publishes.
   */
  assertStreamIdsFree(streams: PublishedStream[]): void {
    for (const stream of streams) {
      if (this.#publisherOf(stream.id)) {
        throw new DomainError(
          ErrorCode.INVALID_SDP,
          `Stream id "${stream.id}" is already published in this room.`,
        );
      }
    }
  }

  /** A new member receives what everyone publishes, then everyone receives what it sends. */
  add(joiner: Participant): void {
    if (joiner.grants.canSubscribe) {
      for (const [publisher, streams] of this.#published) {
        for (const stream of streams) joiner.peer.subscribe(publisher.peer, stream.id);
      }
    }
    this.#published.set(joiner, []);
    this.update(joiner, joiner.sentStreams());
  }

  /** Applies a member's new set of sent streams: the others subscribe or unsubscribe. */
  update(publisher: Participant, sent: PublishedStream[]): void {
    const before = this.#published.get(publisher);
    if (!before) return;
    const streams = sent.filter((stream) => {
      const owner = this.#publisherOf(stream.id);
      return owner === undefined || owner === publisher;
    });
    const beforeIds = new Set(before.map((stream) => stream.id));
    const afterIds = new Set(streams.map((stream) => stream.id));
    this.#published.set(publisher, streams);
    for (const stream of before) if (!afterIds.has(stream.id)) this.#unpublish(publisher, stream.id);
    for (const stream of streams) {
      if (beforeIds.has(stream.id)) continue;
      for (const other of this.#published.keys()) {
        if (other !== publisher && other.grants.canSubscribe) other.peer.subscribe(publisher.peer, stream.id);
      }
      this.record({
        type: RoomEventType.STREAM_PUBLISHED,
        participantId: publisher.id,
        participantName: publisher.name,
        streamId: stream.id,
      });
    }
  }

  /** A member leaves: its streams stop reaching the others. */
  remove(participant: Participant): void {
    for (const stream of this.#published.get(participant) ?? []) this.#unpublish(participant, stream.id);
    this.#published.delete(participant);
  }

  /** The member that publishes `trackId`, with the stream it belongs to. */
  publisherOfTrack(trackId: string): { publisher: Participant; streamId: string } | undefined {
    for (const [publisher, streams] of this.#published) {
      const stream = streams.find((candidate) => candidate.tracks.some((track) => track.id === trackId));
      if (stream) return { publisher, streamId: stream.id };
    }
    return undefined;
  }

  #publisherOf(streamId: string): Participant | undefined {
    for (const [publisher, streams] of this.#published) {
      if (streams.some((stream) => stream.id === streamId)) return publisher;
    }
    return undefined;
  }

  #unpublish(publisher: Participant, streamId: string): void {
    for (const other of this.#published.keys()) {
      if (other !== publisher) other.peer.unsubscribe(streamId);
    }
    this.record({
      type: RoomEventType.STREAM_UNPUBLISHED,
      participantId: publisher.id,
      participantName: publisher.name,
      streamId,
    });
  }
}
