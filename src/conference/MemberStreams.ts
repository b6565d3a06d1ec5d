import type { ActiveSpeaker } from './ActiveSpeaker';
import type { Participant } from './Participant';
import type { PublishedStream } from './ports';
import type { RoomRecordings } from './RoomRecordings';
import type { StreamRouter } from './StreamRouter';

/**
 * What follows the members' streams in a room, kept in step as members come, publish and go: the
 * router forwards them to the others, the recording (if one runs) records them, and the active
 * speaker detector listens to their audio.
 */
export class MemberStreams {
  constructor(
    readonly router: StreamRouter,
    private readonly recordings: RoomRecordings,
    readonly speaker: ActiveSpeaker,
  ) {}

  /** A new member: it receives everyone's streams and everyone receives its own. */
  add(member: Participant): void {
    this.router.add(member);
    this.recordings.sync(member, this.router.publishedBy(member));
    this.speaker.follow(member);
  }

  /** The member publishes something else now. */
  update(member: Participant, streams: PublishedStream[]): void {
    this.router.update(member, streams);
    this.recordings.sync(member, this.router.publishedBy(member));
    this.speaker.follow(member);
  }

  remove(member: Participant): void {
    // Its files are finalized before its media is released (the peer closes after `left`).
    this.recordings.forget(member);
    this.router.remove(member);
    this.speaker.forget(member);
  }
}
