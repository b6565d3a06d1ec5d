import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { ApiContext } from '../context';
import { RoomType } from '../rooms/room.type';
import { NodeType } from './node.type';

@Resolver()
export class NodeResolver {
  @Query(() => [NodeType], {
    description:
      'The nodes of the cluster, alive or recently dead (this one alone on a single node). Admin in secured mode.',
  })
  async nodes(@Ctx() { access, cluster, localNode }: ApiContext): Promise<NodeType[]> {
    access.requireAdmin();
    return cluster ? cluster.nodes() : [localNode()];
  }
}

@Resolver(() => RoomType)
export class RoomNodeResolver {
  @FieldResolver(() => NodeType, {
    nullable: true,
    description:
      'The node holding the room (where its media flows); null once closed or while it changes nodes.',
  })
  async node(@Ctx() { cluster, localNode }: ApiContext, @Root() room: RoomType): Promise<NodeType | null> {
    if (room.closedAt) return null;
    if (!cluster) return localNode();
    const holder = await cluster.holderOf(room.id);
    return holder ? ((await cluster.node(holder)) ?? null) : null;
  }
}
