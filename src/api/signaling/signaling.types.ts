import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ParticipantType } from '../participants/participant.type';

@InputType('JoinInput')
export class JoinInput {
  @Field(() => ID, { description: 'The room; created if unknown and the server allows it.' })
  roomId!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "Display name, 1 to 64 characters. Required in open mode; in secured mode the join token's name wins, " +
      'then this, then the identity.',
  })
  name?: string | null;

  @Field({ description: "The client's SDP offer: unified plan, its own tracks as sendrecv/sendonly." })
  offer!: string;
}

@ObjectType('JoinPayload')
export class JoinPayload {
  @Field(() => ParticipantType)
  participant!: ParticipantType;

  @Field({ description: "The server's SDP answer." })
  answer!: string;

  @Field({
    description:
      'Authorizes every operation on this participant: `Authorization: Bearer <token>` on HTTP, ' +
      '`connectionParams: { authorization: "Bearer <token>" }` on graphql-ws.',
  })
  token!: string;
}

@ObjectType('Offer', { description: 'A server-made SDP offer; answer it with `answer(revision, sdp)`.' })
export class OfferType {
  @Field(() => Int, { description: 'Grows by one per negotiation of this participant.' })
  revision!: number;

  @Field()
  sdp!: string;
}

@InputType('AnswerInput')
export class AnswerInput {
  @Field(() => ID)
  participantId!: string;

  @Field(() => Int, { description: 'The revision of the offer answered.' })
  revision!: number;

  @Field()
  sdp!: string;
}

@InputType('RenegotiateInput')
export class RenegotiateInput {
  @Field(() => ID)
  participantId!: string;

  @Field({ description: 'A client-made SDP offer (tracks added or removed).' })
  offer!: string;
}

@InputType('SetTrackMutedInput')
export class SetTrackMutedInput {
  @Field(() => ID)
  participantId!: string;

  @Field(() => ID, { description: 'One of its own tracks (the track id in its SDP).' })
  trackId!: string;

  @Field()
  muted!: boolean;
}

@InputType('SetPreferredLayerInput')
export class SetPreferredLayerInput {
  @Field(() => ID)
  participantId!: string;

  @Field(() => ID, { description: "A stream it receives (the publisher's stream id, `Stream.id`)." })
  streamId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Simulcast encoding (0: lowest resolution) or SVC spatial layer; null: by bandwidth.',
  })
  spatial?: number | null;

  @Field(() => Int, { nullable: true, description: 'Highest temporal layer (frame rate); null: all.' })
  temporal?: number | null;
}

@ObjectType('RenegotiatePayload')
export class RenegotiatePayload {
  @Field()
  answer!: string;

  @Field(() => Int)
  revision!: number;
}
