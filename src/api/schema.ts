import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchemaSync } from 'type-graphql';
import { guardRoomReaders } from './authorization';
import { ChatResolver, RoomEventMessageResolver, RoomMessagesResolver } from './chat/chat.resolver';
import { ModerationResolver } from './moderation/moderation.resolver';
import { RecordingResolver, RoomRecordingsResolver } from './recordings/recording.resolver';
import { WebhookResolver } from './webhooks/webhook.resolver';
import { ParticipantResolver } from './participants/participant.resolver';
import { RoomResolver } from './rooms/room.resolver';
import { SessionResolver } from './rooms/session.resolver';
import { SignalingResolver } from './signaling/signaling.resolver';
import { NodeResolver, RoomNodeResolver } from './cluster/node.resolver';

export const resolvers = [
  RoomResolver,
  SessionResolver,
  ParticipantResolver,
  SignalingResolver,
  ModerationResolver,
  ChatResolver,
  RoomMessagesResolver,
  RoomEventMessageResolver,
  WebhookResolver,
  RecordingResolver,
  RoomRecordingsResolver,
  NodeResolver,
  RoomNodeResolver,
] as const;

let cached: GraphQLSchema | undefined;

/** The executable schema; built once per process (type-graphql's metadata is global). */
export function buildApiSchema(): GraphQLSchema {
  // Subscriptions read the domain's own event streams (`subscribe`), which can replay what a
  // late subscriber missed; type-graphql still insists on a PubSub for topic-based ones.
  // Reading rooms, participants and stays is guarded field by field (see guardRoomReaders).
  cached ??= guardRoomReaders(
    buildSchemaSync({
      resolvers,
      validate: false,
      pubSub: createPubSub(),
    }),
  );
  return cached;
}

/** The SDL committed as schema/schema.graphql: sorted, so diffs show real changes only. */
export function printApiSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildApiSchema()))}\n`;
}
