import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { VideoCodec } from '../../conference/codecs';

@InputType('CreateRoomInput')
export class CreateRoomInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Your own id (1-64 letters, digits, "_", "-", "."); a random one when omitted.',
  })
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'Display name; defaults to the id.' })
  name?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: "Defaults to the server's ROOM_DEFAULT_MAX_PARTICIPANTS.",
  })
  maxParticipants?: number | null;

  @Field(() => VideoCodec, { nullable: true, description: 'Defaults to VP8.' })
  videoCodec?: VideoCodec | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether publishers may send VP8 simulcast (three encodings per camera); defaults to true.',
  })
  simulcast?: boolean | null;

  @Field(() => JSONObjectResolver, { nullable: true })
  metadata?: Record<string, unknown> | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'Cluster: the node to hold the room (a Node id; pinned there rather than placed on the least loaded ' +
      'node). Fails with NODE_UNAVAILABLE when that node is not alive. Ignored on a single node.',
  })
  node?: string | null;
}
