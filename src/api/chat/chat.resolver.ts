import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { DomainError, ErrorCode } from '../../shared/errors';
import type { ApiContext } from '../context';
import { toParticipantType } from '../participants/participant.mapper';
import { ParticipantType } from '../participants/participant.type';
import { RoomEventObject } from '../rooms/roomEvent.type';
import { RoomType } from '../rooms/room.type';
import { MessageConnectionType, MessageType, SendMessageInput, SetAttributesInput } from './chat.types';

/** Chat and participant attributes: what people say and show in a room, through its event log. */
@Resolver()
export class ChatResolver {
  @Mutation(() => MessageType, {
    description:
      'Says something in the room: to everyone, or privately to `to` (who alone, with the sender, ever see it: in ' +
      'roomEvents, in replays and in Room.messages). The bearer is the participant token. Fails with BAD_USER_INPUT, ' +
      'PARTICIPANT_NOT_FOUND (a recipient not in the room) and RATE_LIMITED.',
  })
  sendMessage(
    @Ctx() { conference, access, limits }: ApiContext,
    @Arg('input', () => SendMessageInput) input: SendMessageInput,
  ): MessageType {
    const participant = access.participant(input.participantId);
    limits.messages.take(participant.id);
    return MessageType.from(conference.sendMessage(participant, input.text, input.to ?? null))!;
  }

  @Mutation(() => ParticipantType, {
    description:
      "Sets some of the participant's attributes (a null value removes a key): the room gets " +
      'PARTICIPANT_ATTRIBUTES_CHANGED when anything changed. Fails with BAD_USER_INPUT and RATE_LIMITED.',
  })
  setAttributes(
    @Ctx() { conference, access, limits }: ApiContext,
    @Arg('input', () => SetAttributesInput) input: SetAttributesInput,
  ): ParticipantType {
    const participant = access.participant(input.participantId);
    limits.attributes.take(participant.id);
    conference.setAttributes(participant, input.attributes);
    return toParticipantType(participant, conference.streamsOf(participant));
  }
}

@Resolver(() => RoomType)
export class RoomMessagesResolver {
  @FieldResolver(() => MessageConnectionType, {
    description:
      "The room's chat history you may see, oldest first (private messages only to their sender and recipients).",
  })
  async messages(
    @Ctx() { conference, access }: ApiContext,
    @Root() room: RoomType,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: "A previous page's endCursor." })
    after?: string | null,
  ): Promise<MessageConnectionType> {
    const cursor = after == null ? null : Number(after);
    if (cursor !== null && (!Number.isSafeInteger(cursor) || cursor < 0)) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'The cursor is not one this server issued.');
    }
    const page = await conference.messages(room.id, access.viewer(), { first, after: cursor });
    const nodes = page.events.map((event) => MessageType.from(event)!);
    return {
      nodes,
      pageInfo: {
        endCursor: nodes.at(-1) ? String(nodes.at(-1)!.sequence) : (after ?? null),
        hasNextPage: page.hasNextPage,
      },
    };
  }
}

@Resolver(() => RoomEventObject)
export class RoomEventMessageResolver {
  @FieldResolver(() => MessageType, { nullable: true, description: 'For MESSAGE: the message.' })
  message(@Root() event: RoomEventObject): MessageType | null {
    return MessageType.from(event);
  }
}
