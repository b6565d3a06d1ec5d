import {
  type DocumentNode,
  type FieldNode,
  Kind,
  type OperationDefinitionNode,
  valueFromASTUntyped,
} from 'graphql';

/** The room (or participant, whose room it is) an operation acts on, and whether it may place the room. */
export interface OperationTarget {
  roomId?: string;
  participantId?: string;
  /** join and createRoom put a room nobody holds on the least loaded node. */
  place: boolean;
  /** createRoom's `input.node`: this node rather than the least loaded one. */
  pin?: string;
}

/** Root fields whose `id` argument is a room id. */
const ROOM_ID_FIELDS = new Set(['room', 'closeRoom']);
const PLACING_FIELDS = new Set(['join', 'createRoom']);

/**
 * Which room an operation is about, read from its first root field that names one: `roomId`,
 * `participantId` (directly or in `input`), `id` of room/closeRoom, `input.id` of createRoom. In a
 * cluster the operation is carried out by the node holding that room; one naming none (rooms,
 * nodes) is answered where it arrives.
 */
export function targetOf(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): OperationTarget | null {
  const operation = pickOperation(document, operationName);
  if (!operation) return null;
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const target = fieldTarget(selection, variables ?? {});
    if (target) return target;
  }
  return null;
}

export function operationKind(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode['operation'] | null {
  return pickOperation(document, operationName)?.operation ?? null;
}

function fieldTarget(field: FieldNode, variables: Record<string, unknown>): OperationTarget | null {
  const name = field.name.value;
  const place = PLACING_FIELDS.has(name);
  const args = new Map<string, unknown>();
  for (const arg of field.arguments ?? []) {
    args.set(arg.name.value, valueFromASTUntyped(arg.value, variables));
  }
  const input = asObject(args.get('input'));
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const roomId =
    text(args.get('roomId')) ??
    text(input?.roomId) ??
    (ROOM_ID_FIELDS.has(name) ? text(args.get('id')) : undefined) ??
    (name === 'createRoom' ? text(input?.id) : undefined);
  const pin = name === 'createRoom' ? text(input?.node) : undefined;
  if (roomId) return { roomId, place, ...(pin && { pin }) };
  const participantId = text(args.get('participantId')) ?? text(input?.participantId);
  if (participantId) return { participantId, place: false };
  // createRoom without an id: a new room, placed like any other.
  if (name === 'createRoom') return { place: true, ...(pin && { pin }) };
  return null;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function pickOperation(document: DocumentNode, operationName: string | null | undefined) {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((operation) => operation.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}
