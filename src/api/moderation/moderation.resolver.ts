import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { DomainError, ErrorCode } from '../../shared/errors';
import type { ApiContext } from '../context';

/** What a room's moderators (roomAdmin grant) and the application (admin token) may do to others. */
@Resolver()
export class ModerationResolver {
  @Mutation(() => Boolean, {
    description:
      'Removes a participant (PARTICIPANT_LEFT with reason KICKED). With `ban`, its identity cannot rejoin the room ' +
      'with any token issued up to now (nor read or follow it). What the kicked person follows ends (KICKED, or BANNED). ' +
      'Needs roomAdmin for its room or an admin token. Fails with ' +
      'PARTICIPANT_NOT_FOUND, FORBIDDEN, and BAD_USER_INPUT for a ban in open mode (no identities).',
  })
  async kickParticipant(
    @Ctx() { conference, access, subscriptions, moderationLimiter, cluster }: ApiContext,
    @Arg('participantId', () => ID) participantId: string,
    @Arg('ban', () => Boolean, { defaultValue: false }) ban: boolean,
  ): Promise<boolean> {
    access.requireModerator();
    const participant = conference.participant(participantId);
    await access.requireRoomAdmin(participant.roomId);
    await moderationLimiter.take(access.rateKey());
    await conference.kick(participant, ban);
    // What the kicked person follows ends now: its participant's subscriptions and, for an
    // identity, those its join tokens opened in the room.
    const ended = ban
      ? new DomainError(ErrorCode.BANNED, `You were banned from room "${participant.roomId}".`)
      : new DomainError(ErrorCode.KICKED, `You were removed from room "${participant.roomId}".`);
    subscriptions.endParticipant(participant.id, ended);
    if (participant.identity !== null)
      subscriptions.endIdentity(participant.roomId, participant.identity, ended);
    // Cluster: what the kicked person follows through other nodes ends there too.
    cluster?.announceEnded({
      participantId: participant.id,
      roomId: participant.roomId,
      identity: participant.identity,
      code: ended.code,
      message: ended.message,
    });
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      "Mutes someone's track: the server stops forwarding it and sends TRACK_MUTED with reason MODERATOR; the " +
      'publisher may unmute it with setTrackMuted. `roomId` may be left out when the track id is unambiguous. ' +
      'Needs roomAdmin for the room or an admin token. Fails with TRACK_NOT_FOUND and FORBIDDEN.',
  })
  async muteTrack(
    @Ctx() { conference, access, moderationLimiter }: ApiContext,
    @Arg('trackId', () => ID) trackId: string,
    @Arg('roomId', () => ID, { nullable: true }) roomId?: string | null,
  ): Promise<boolean> {
    access.requireModerator();
    const room = roomId ?? access.callerRoom() ?? conference.roomOfTrack(trackId);
    await access.requireRoomAdmin(room);
    await moderationLimiter.take(access.rateKey());
    await conference.muteTrack(room, trackId);
    return true;
  }
}
