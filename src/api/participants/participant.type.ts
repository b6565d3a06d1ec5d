import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { RoomReader } from '../authorization';
import { DateTimeISO } from '../dateTimeISO';

export enum TrackKind {
  AUDIO = 'audio',
  VIDEO = 'video',
}
registerEnumType(TrackKind, { name: 'TrackKind' });

@ObjectType('Track', {
  description: 'One audio or video track of a stream; its id is the track id in the SDP.',
})
export class TrackType {
  @Field(() => ID)
  id!: string;

  @Field(() => TrackKind)
  kind!: TrackKind;

  @Field({ description: 'Whether the publisher muted it.' })
  muted!: boolean;
}

@ObjectType('Grants', { description: "A participant's rights, from its join token." })
export class GrantsType {
  @Field({ description: 'May send tracks.' })
  canPublish!: boolean;

  @Field({ description: "Receives the others' streams." })
  canSubscribe!: boolean;

  @Field({ description: 'May kick, ban, mute others and close the room.' })
  roomAdmin!: boolean;
}

@RoomReader('Participant')
@ObjectType('Participant', { description: 'Someone in a room.' })
export class ParticipantType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => ID)
  roomId!: string;

  @Field(() => DateTimeISO)
  joinedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: "The application's user id, from its join token (null in open mode).",
  })
  identity!: string | null;

  @Field(() => GrantsType, { description: 'What it may do (everything in open mode).' })
  grants!: GrantsType;

  @Field(() => [StreamType], { description: 'What it publishes.' })
  streams!: StreamType[];

  @Field(() => JSONObjectResolver, {
    description:
      'What it (or the application) says about itself, e.g. `{ "handRaised": true }`: see setAttributes.',
  })
  attributes!: Record<string, unknown>;

  @Field({
    description:
      'Silent for a moment (network blip, frozen client): it keeps its place and streams until PARTICIPANT_TIMEOUT_MS. ' +
      'A page greys its tile.',
  })
  reconnecting!: boolean;
}

@ObjectType('Stream', {
  description:
    'A stream a participant publishes. Forwarded to the others under the same id (the msid stream id in their SDP), ' +
    'so a receiver maps each incoming MediaStream to its participant.',
})
export class StreamType {
  @Field(() => ID)
  id!: string;

  @Field(() => ParticipantType)
  participant!: ParticipantType;

  @Field(() => [TrackType])
  tracks!: TrackType[];
}
