import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { RoomEvent } from '../../conference/events';
import { PageInfoType } from '../rooms/room.type';
import { DateTimeISO } from '../dateTimeISO';

@InputType()
export class SendMessageInput {
  @Field(() => ID, { description: 'The sender (the bearer is its participant token).' })
  participantId!: string;

  @Field({ description: '1 to 4000 characters.' })
  text!: string;

  @Field(() => [ID], {
    nullable: true,
    description: 'Participant ids of the recipients, for a private message (1 to 50); omitted: everyone.',
  })
  to?: string[] | null;
}

@InputType()
export class SetAttributesInput {
  @Field(() => ID)
  participantId!: string;

  @Field(() => JSONObjectResolver, {
    description:
      'Keys to set (a null value removes the key); other keys stay. At most 32 keys and 4 KB of JSON in all.',
  })
  attributes!: Record<string, unknown>;
}

@ObjectType('MessageSender', { description: 'Who sent a message (still readable after they left).' })
export class MessageSenderType {
  @Field(() => ID)
  participantId!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true, description: 'Its join token identity (null in open mode).' })
  identity!: string | null;
}

@ObjectType('Message', {
  description: 'A chat message: a MESSAGE event of its room, replayed like any other.',
})
export class MessageType {
  @Field(() => ID)
  id!: string;

  @Field()
  text!: string;

  @Field(() => DateTimeISO)
  at!: Date;

  @Field(() => MessageSenderType)
  from!: MessageSenderType;

  @Field(() => [ID], {
    nullable: true,
    description: 'Recipients of a private message (participant ids); null for a message to everyone.',
  })
  to!: string[] | null;

  /** The room event it is, for cursors. */
  sequence!: number;

  static from(event: RoomEvent): MessageType | null {
    const message = event.message;
    if (!message) return null;
    return Object.assign(new MessageType(), {
      id: message.id,
      text: message.text,
      at: event.at,
      to: message.to,
      sequence: event.sequence,
      from: Object.assign(new MessageSenderType(), {
        participantId: event.participantId ?? '',
        name: event.participantName ?? '',
        identity: message.fromIdentity,
      }),
    });
  }
}

@ObjectType('MessageConnection', { description: 'A page of chat messages, oldest first.' })
export class MessageConnectionType {
  @Field(() => [MessageType])
  nodes!: MessageType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
