import { Field, ID, ObjectType } from 'type-graphql';
import { RoomReader } from '../authorization';
import { DateTimeISO } from '../dateTimeISO';

@RoomReader('Session')
@ObjectType('Session', { description: "One participant's stay in a room, as stored: the room's history." })
export class SessionType {
  @Field(() => ID, { description: 'The participant id it had.' })
  id!: string;

  @Field()
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'Its join token identity (null in open mode).' })
  identity!: string | null;

  @Field(() => DateTimeISO)
  joinedAt!: Date;

  @Field(() => DateTimeISO, { nullable: true })
  leftAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'LEFT, KICKED, DUPLICATE_IDENTITY, DISCONNECTED, TIMEOUT, SIGNALING_LOST, ROOM_CLOSED, SERVER_SHUTDOWN or SERVER_RESTART.',
  })
  leaveReason!: string | null;
}
