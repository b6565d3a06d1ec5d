import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { RoomReader } from '../authorization';
import { VideoCodec } from '../../conference/codecs';
import type { RoomRecord } from '../../conference/records';
import { DateTimeISO } from '../dateTimeISO';

registerEnumType(VideoCodec, {
  name: 'VideoCodec',
  description:
    'The one video codec a room forwards: the server never transcodes, so everyone in a room sends and receives it.',
});

@RoomReader('Room')
@ObjectType('Room', { description: 'A conference room. Closed rooms stay readable as history.' })
export class RoomType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => DateTimeISO)
  createdAt!: Date;

  @Field(() => DateTimeISO, {
    nullable: true,
    description: 'When the room was closed; null while open.',
  })
  closedAt!: Date | null;

  @Field({ description: 'True until the room is closed.' })
  open!: boolean;

  @Field(() => Int, { description: 'How many participants may be in the room at once.' })
  maxParticipants!: number;

  @Field(() => VideoCodec)
  videoCodec!: VideoCodec;

  @Field({
    description:
      'Whether publishers may send simulcast: several encodings of one camera, of which each subscriber gets the one that fits.',
  })
  simulcast!: boolean;

  @Field(() => JSONObjectResolver, { nullable: true, description: 'Free-form data of the application.' })
  metadata!: Record<string, unknown> | null;

  static from(record: RoomRecord): RoomType {
    return Object.assign(new RoomType(), record, { open: record.closedAt === null });
  }
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;

  @Field()
  hasNextPage!: boolean;
}

@ObjectType('RoomConnection', { description: 'A page of rooms, oldest first.' })
export class RoomConnectionType {
  @Field(() => [RoomType])
  nodes!: RoomType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int, { description: 'How many rooms match, over all pages.' })
  totalCount!: number;
}
