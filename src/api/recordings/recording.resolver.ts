import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { DomainError, ErrorCode } from '../../shared/errors';
import type { ApiContext } from '../context';
import { RoomType } from '../rooms/room.type';
import { RecordingType } from './recording.types';

/** Recording a room: started and stopped by its moderators (roomAdmin) or the application (admin). */
@Resolver()
export class RecordingResolver {
  @Mutation(() => RecordingType, {
    description:
      'Starts recording the room: each participant stream (audio and video) goes to its own MP4 file, people who ' +
      'join or publish later are recorded from then on; RECORDING_STARTED. Stopped by stopRecording, by closing ' +
      'the room and by a server shutdown. Needs roomAdmin for the room or an admin token. Fails with ' +
      'RECORDING_IN_PROGRESS (one recording at a time), ROOM_NOT_FOUND, ROOM_CLOSED, FORBIDDEN.',
  })
  async startRecording(
    @Ctx() { conference, access, moderationLimiter }: ApiContext,
    @Arg('roomId', () => ID) roomId: string,
  ): Promise<RecordingType> {
    await access.requireRoomAdmin(roomId);
    moderationLimiter.take(access.rateKey());
    return RecordingType.from(await conference.recordings.start(roomId));
  }

  @Mutation(() => RecordingType, {
    description:
      'Stops a recording and finalizes its files (RECORDING_STOPPED); a stopped recording is returned as it is. ' +
      'Needs roomAdmin for its room or an admin token. `roomId` (its room) routes the call to the node recording it ' +
      'in a cluster. Fails with RECORDING_NOT_FOUND (also for a `roomId` that is not its room), FORBIDDEN, and ' +
      'SERVICE_UNAVAILABLE for a recording another node runs when `roomId` is left out.',
  })
  async stopRecording(
    @Ctx() { conference, access, moderationLimiter }: ApiContext,
    @Arg('id', () => ID) id: string,
    @Arg('roomId', () => ID, { nullable: true, description: "The recording's room (cluster routing)." })
    roomId?: string | null,
  ): Promise<RecordingType> {
    access.requireModerator();
    const recording = await conference.recordings.find(id);
    if (roomId != null && roomId !== recording.roomId) {
      throw new DomainError(ErrorCode.RECORDING_NOT_FOUND, `Room "${roomId}" has no recording "${id}".`);
    }
    await access.requireRoomAdmin(recording.roomId);
    moderationLimiter.take(access.rateKey());
    return RecordingType.from(await conference.recordings.stop(id));
  }
}

@Resolver(() => RoomType)
export class RoomRecordingsResolver {
  @FieldResolver(() => [RecordingType], {
    description: "The room's recordings, oldest first (the one running, if any, is RECORDING).",
  })
  async recordings(@Ctx() { conference }: ApiContext, @Root() room: RoomType): Promise<RecordingType[]> {
    return (await conference.recordings.ofRoom(room.id)).map(RecordingType.from);
  }
}
