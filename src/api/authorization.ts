import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import type { ApiContext } from './context';

/** GraphQL type names (as given to @ObjectType) that need ROOM_READER on every field. */
const roomReaderTypes = new Set<string>();

/**
 * Marks an object type whose every field needs the caller to be able to read the object's room
 * (`roomId`, or `id` for a room). Put it on the class with the GraphQL name its @ObjectType gives it:
 * `guardRoomReaders` then guards every field of that type in the built schema, so a new query or a
 * nested path that returns a room, a participant or a stay cannot skip the check made at the top of
 * the root resolvers.
 */
export function RoomReader(typeName: string): ClassDecorator {
  return () => {
    roomReaderTypes.add(typeName);
  };
}

/**
 * Wraps every field resolver of the @RoomReader types with the access check. It answers at once
 * when the caller may read the room without waiting (open mode, admins, a room this request already
 * checked), so plain fields stay plain values; only a first ban check of a join token waits. It
 * throws the access layer's coded errors (FORBIDDEN, UNAUTHENTICATED, BANNED, ...), the same codes
 * as at the root. (type-graphql's @Authorized did the same through an async middleware chain on
 * every field: several promises per field of every object, most of the cost of a `rooms` page.)
 */
export function guardRoomReaders(schema: GraphQLSchema): GraphQLSchema {
  for (const name of roomReaderTypes) {
    const type = schema.getType(name);
    if (!isObjectType(type)) throw new Error(`@RoomReader type ${name} is not in the schema`);
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, ApiContext> = field.resolve ?? defaultFieldResolver;
      field.resolve = (root, args, context, info) => {
        const pending = context.access.checkRoomReader(roomOf(root));
        return pending
          ? pending.then(() => resolve(root, args, context, info))
          : resolve(root, args, context, info);
      };
    }
  }
  return schema;
}

function roomOf(root: unknown): string {
  const object = root as { roomId?: unknown; id?: unknown; __typename?: unknown } | null;
  const roomId = typeof object?.roomId === 'string' ? object.roomId : object?.id;
  // An object without a room cannot be read by room: fail closed.
  return typeof roomId === 'string' ? roomId : '\u0000no room';
}
