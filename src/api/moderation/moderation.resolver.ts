import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { ApiContext } from '../context';

/** What a room's moderators (roomAdmin grant) and the application (admin token) may do to others. */
@Resolver()
export class ModerationResolver {
  @Mutation(() => Boolean, {
    description:
      'Removes a participant (PARTICIPANT_LEFT with reason KICKED). With `ban`, its identity cannot rejoin the room ' +
      'with any token issued up to now. Needs roomAdmin for its room or an admin token. Fails with ' +
      'PARTICIPANT_NOT_FOUND, FORBIDDEN, and BAD_USER_INPUT for a ban in open mode (no identities).',
  })
  async kickParticipant(
    @Ctx() { conference, access }: ApiContext,
    @Arg('participantId', () => ID) participantId: string,
    @Arg('ban', () => Boolean, { defaultValue: false }) ban: boolean,
  ): Promise<boolean> {
    access.requireModerator();
    const participant = conference.participant(participantId);
    access.requireRoomAdmin(participant.roomId);
    await conference.kick(participant, ban);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      "Mutes someone's track: the server stops forwarding it and sends TRACK_MUTED with reason MODERATOR; the " +
      'publisher may unmute it with setTrackMuted. `roomId` may be left out when the track id is unambiguous. ' +
      'Needs roomAdmin for the room or an admin token. Fails with TRACK_NOT_FOUND and FORBIDDEN.',
  })
  async muteTrack(
    @Ctx() { conference, access }: ApiContext,
    @Arg('trackId', () => ID) trackId: string,
    @Arg('roomId', () => ID, { nullable: true }) roomId?: string | null,
  ): Promise<boolean> {
    access.requireModerator();
    const room = roomId ?? access.callerRoom() ?? conference.roomOfTrack(trackId);
    access.requireRoomAdmin(room);
    await conference.muteTrack(room, trackId);
    return true;
  }
}
