import { DomainError, ErrorCode } from '../shared/errors';

export interface RoomInput {
  id?: string | null;
  name?: string | null;
  maxParticipants?: number | null;
  metadata?: Record<string, unknown> | null;
}

export const ROOM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MAX_ROOM_NAME_LENGTH = 100;
export const MAX_METADATA_BYTES = 4096;
export const MAX_PARTICIPANTS_LIMIT = 1000;

const bad = (message: string, field: string) => new DomainError(ErrorCode.BAD_USER_INPUT, message, { field });

/** Room ids appear in URLs and logs: letters, digits, '_', '-', '.', at most 64, starting alphanumeric. */
export function validateRoomId(id: string): string {
  if (!ROOM_ID_PATTERN.test(id)) {
    throw bad(
      'A room id is 1 to 64 letters, digits, "_", "-" or ".", starting with a letter or digit.',
      'id',
    );
  }
  return id;
}

export function validateRoomInput(input: RoomInput): RoomInput {
  if (input.id != null) validateRoomId(input.id);
  if (input.name != null) {
    const name = input.name.trim();
    if (name.length === 0 || name.length > MAX_ROOM_NAME_LENGTH) {
      throw bad(`A room name is 1 to ${MAX_ROOM_NAME_LENGTH} characters.`, 'name');
    }
    input = { ...input, name };
  }
  if (input.maxParticipants != null) {
    if (
      !Number.isInteger(input.maxParticipants) ||
      input.maxParticipants < 1 ||
      input.maxParticipants > MAX_PARTICIPANTS_LIMIT
    ) {
      throw bad(`maxParticipants must be between 1 and ${MAX_PARTICIPANTS_LIMIT}.`, 'maxParticipants');
    }
  }
  if (input.metadata != null && Buffer.byteLength(JSON.stringify(input.metadata)) > MAX_METADATA_BYTES) {
    throw bad(`Room metadata is at most ${MAX_METADATA_BYTES} bytes of JSON.`, 'metadata');
  }
  return input;
}
