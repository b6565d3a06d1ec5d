import { DateTimeISOResolver } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

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

@ObjectType('Participant', { description: 'Someone in a room.' })
export class ParticipantType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => ID)
  roomId!: string;

  @Field(() => DateTimeISOResolver)
  joinedAt!: Date;

  @Field(() => [StreamType], { description: 'What it publishes.' })
  streams!: StreamType[];
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
