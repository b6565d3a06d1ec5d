import {
  Arg,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import type { RoomEvent } from '../../conference/events';
import type { ApiContext } from '../context';
import { toParticipantType } from '../participants/participant.mapper';
import { ParticipantType } from '../participants/participant.type';
import { CreateRoomInput } from './room.input';
import { RoomConnectionType, RoomType } from './room.type';
import { RoomEventObject } from './roomEvent.type';
import { SessionType } from './session.type';

@Resolver(() => RoomType)
export class RoomResolver {
  @Query(() => RoomConnectionType, { description: 'Open rooms, oldest first, a page at a time.' })
  async rooms(
    @Ctx() { conference, access }: ApiContext,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: "A previous page's endCursor." })
    after?: string | null,
  ): Promise<RoomConnectionType> {
    access.requireAdmin();
    const page = await conference.listOpenRooms({ first, after });
    return {
      nodes: page.items.map(RoomType.from),
      pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
      totalCount: page.totalCount,
    };
  }

  @Query(() => RoomType, { description: 'One room, open or closed. Fails with ROOM_NOT_FOUND.' })
  async room(@Ctx() { conference, access }: ApiContext, @Arg('id', () => ID) id: string): Promise<RoomType> {
    await access.requireRoom(id);
    return RoomType.from(await conference.getRoom(id));
  }

  @Mutation(() => RoomType, {
    description: 'Fails with ROOM_EXISTS when the id is taken, BAD_USER_INPUT when invalid.',
  })
  async createRoom(
    @Ctx() { conference, access }: ApiContext,
    @Arg('input', () => CreateRoomInput, { defaultValue: {} }) input: CreateRoomInput,
  ): Promise<RoomType> {
    access.requireAdmin();
    // `node` was used to route the request here (cluster placement); the domain has no use for it.
    const { node: _node, ...room } = input;
    return RoomType.from(await conference.createRoom(room));
  }

  @Mutation(() => RoomType, {
    description:
      'Closes the room: everyone in it is removed and ROOM_CLOSED is sent. Fails with ROOM_CLOSED when already closed.',
  })
  async closeRoom(
    @Ctx() { conference, access }: ApiContext,
    @Arg('id', () => ID) id: string,
  ): Promise<RoomType> {
    await access.requireRoomAdmin(id);
    return RoomType.from(await conference.closeRoom(id));
  }

  @FieldResolver(() => [ParticipantType], { description: 'Who is in the room now (empty once closed).' })
  participants(@Ctx() { conference }: ApiContext, @Root() room: RoomType): ParticipantType[] {
    return conference
      .participantsOf(room.id)
      .map((participant) => toParticipantType(participant, conference.streamsOf(participant)));
  }

  @FieldResolver(() => ParticipantType, {
    nullable: true,
    description: 'Who speaks now (null until detected).',
  })
  activeSpeaker(@Ctx() { conference }: ApiContext, @Root() room: RoomType): ParticipantType | null {
    const speaker = conference.activeSpeakerOf(room.id);
    return speaker ? toParticipantType(speaker, conference.streamsOf(speaker)) : null;
  }

  @FieldResolver(() => [SessionType], {
    description:
      'Who was in the room and when, oldest first (history), a page at a time: `first` stays (1 to 500) after ' +
      'the stay whose id is `after` (the last id of the previous page).',
  })
  sessions(
    @Ctx() { conference }: ApiContext,
    @Root() room: RoomType,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Page size, 1 to 500.' }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'The id of the last stay of the previous page.' })
    after?: string | null,
  ): Promise<SessionType[]> {
    return conference.sessionsOf(room.id, { first, after });
  }

  @Subscription(() => RoomEventObject, {
    description:
      "The room's events in order, ending after ROOM_CLOSED. With `after`, first every stored event whose sequence " +
      'is greater (so a client that reconnects, even across a server restart, misses nothing), then live ones.',
    subscribe: async ({ args, context }) => {
      const { conference, access, subscriptions, cluster } = context as ApiContext;
      const roomId = String(args.roomId);
      await access.identifyAcrossNodes();
      await access.requireRoom(roomId);
      const owner = access.subscriptionOwner();
      // In a cluster, SUBSCRIPTIONS_PER_ROOM counts the other nodes' followers too.
      subscriptions.assertRoomHasRoom(roomId, (await cluster?.subscriptionsElsewhere(roomId)) ?? 0);
      const events = await conference.roomEvents(
        roomId,
        args.after as number | null | undefined,
        access.viewer(),
      );
      return subscriptions.track(events, owner, roomId);
    },
  })
  roomEvents(
    @Root() event: RoomEvent,
    @Arg('roomId', () => ID) _roomId: string,
    @Arg('after', () => Int, {
      nullable: true,
      description: 'Replay stored events after this sequence number first.',
    })
    _after?: number | null,
  ): RoomEventObject {
    return event;
  }
}
