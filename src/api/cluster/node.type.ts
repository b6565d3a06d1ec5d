import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { NodeView } from './gateway';

@ObjectType('Node', {
  description:
    'A server process. One on its own; several sharing Redis and PostgreSQL form a cluster, each room held by one node.',
})
export class NodeType implements NodeView {
  @Field(() => ID, { description: 'NODE_ID, or generated at start.' })
  id!: string;

  @Field({ description: 'Where the node serves its HTTP and graphql-ws API.' })
  url!: string;

  @Field({ description: 'Whether its heartbeat is current (renewed every second, gone 3 s after it stops).' })
  alive!: boolean;

  @Field({ description: 'Being drained (SIGTERM): its rooms move to other nodes and it takes no new ones.' })
  draining!: boolean;

  @Field(() => Int, { description: 'Rooms it holds.' })
  rooms!: number;

  @Field(() => Int, { description: 'Participants in its rooms.' })
  participants!: number;

  @Field(() => Int, { description: 'Streams it forwards to subscribers.' })
  streams!: number;

  @Field(() => Int, {
    description: 'What placement compares (participants + forwarded streams): a new room goes to the lowest.',
  })
  load!: number;
}
