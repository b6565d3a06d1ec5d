import { DomainError, ErrorCode } from '../shared/errors';
import { LeaveReason } from './events';
import type { Participant } from './Participant';
import type { RoomRepository } from './ports';
import type { RoomRegistry } from './RoomRegistry';

/** What a room's moderators (and the application) may do to others: kick, ban, mute. */
export class Moderation {
  constructor(
    private readonly registry: RoomRegistry,
    private readonly rooms: RoomRepository,
  ) {}

  /**
   * Removes a participant on a moderator's behalf (PARTICIPANT_LEFT with reason KICKED). With `ban`,
   * its identity cannot come back with any token issued until now; BAD_USER_INPUT for a ban of an
   * anonymous (open mode) participant, which has no identity to ban.
   */
  async kick(participant: Participant, ban: boolean): Promise<void> {
    if (ban) {
      if (participant.identity === null) {
        throw new DomainError(
          ErrorCode.BAD_USER_INPUT,
          'Only participants with an identity (joined with a join token, in secured mode) can be banned.',
        );
      }
      const at = new Date();
      this.registry.live(participant.roomId)?.ban(participant.identity, at);
      await this.rooms.ban(participant.roomId, participant.identity, at);
    }
    await participant.close(LeaveReason.KICKED);
  }

  /**
   * A moderator mutes someone's track: the server stops forwarding it and tells the room
   * (TRACK_MUTED with reason MODERATOR); the publisher may unmute it with setTrackMuted.
   * TRACK_NOT_FOUND when nobody in the room publishes it.
   */
  async muteTrack(roomId: string, trackId: string): Promise<Participant> {
    const room = await this.registry.open(roomId);
    const found = room.publisherOfTrack(trackId);
    if (!found)
      throw new DomainError(
        ErrorCode.TRACK_NOT_FOUND,
        `Nobody in room "${roomId}" publishes track "${trackId}".`,
      );
    const { changed, streamId } = found.publisher.setMuted(trackId, true);
    if (changed) room.recordMuted(found.publisher, streamId, trackId, true, 'MODERATOR');
    return found.publisher;
  }

  /**
   * The live room in which a track with this id is published. Track ids are only unique per stream:
   * TRACK_NOT_FOUND when none publishes it, BAD_USER_INPUT when several do (the caller names the room).
   */
  roomOfTrack(trackId: string): string {
    const rooms = this.registry.rooms().filter((room) => room.publisherOfTrack(trackId));
    if (rooms.length === 0)
      throw new DomainError(ErrorCode.TRACK_NOT_FOUND, `Nobody publishes track "${trackId}".`);
    if (rooms.length > 1) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `Track "${trackId}" is published in several rooms: name the room.`,
      );
    }
    return rooms[0]!.id;
  }
}
