import { DomainError, ErrorCode } from '../shared/errors';
import { isVideoCodec, type VideoCodec } from './codecs';

export interface RoomInput {
  id?: string | null;
  name?: string | null;
  maxParticipants?: number | null;
  metadata?: Record<string, unknown> | null;
  videoCodec?: VideoCodec | null;
  simulcast?: boolean | null;
}

export const ROOM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MAX_ROOM_NAME_LENGTH = 100;
export const MAX_METADATA_BYTES = 4096;
export const MAX_PARTICIPANTS_LIMIT = 1000;
export const MAX_METADATA_DEPTH = 16;

/** How deep a JSON value nests (stops counting past the limit, so a hostile value costs little). */
function depthOf(value: unknown, depth: number): number {
  if (depth > MAX_METADATA_DEPTH || value === null || typeof value !== 'object') return depth;
  let deepest = depth + 1;
  for (const item of Object.values(value as Record<string, unknown>)) {
    deepest = Math.max(deepest, depthOf(item, depth + 1));
    if (deepest > MAX_METADATA_DEPTH) break;
  }
  return deepest;
}

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
    assertPrintable(name, 'name');
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
  if (input.videoCodec != null && !isVideoCodec(input.videoCodec)) {
    throw bad('videoCodec must be VP8, VP9 or H264.', 'videoCodec');
  }
  if (input.metadata != null) {
    if (depthOf(input.metadata, 0) > MAX_METADATA_DEPTH) {
      throw bad(`Room metadata may nest at most ${MAX_METADATA_DEPTH} levels deep.`, 'metadata');
    }
    const json = JSON.stringify(input.metadata);
    if (Buffer.byteLength(json) > MAX_METADATA_BYTES) {
      throw bad(`Room metadata is at most ${MAX_METADATA_BYTES} bytes of JSON.`, 'metadata');
    }
    // PostgreSQL's jsonb refuses lone surrogates and NUL characters.
    if (!storableJson(input.metadata)) {
      throw bad('Room metadata must be well-formed text (no lone surrogates or NUL characters).', 'metadata');
    }
  }
  return input;
}

export const MAX_NAME_LENGTH = 64;
/** Generous for any real unified-plan offer; refuses megabytes of garbage before parsing it. */
export const MAX_SDP_BYTES = 64 * 1024;

export function validateDisplayName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
    throw bad(`A display name is 1 to ${MAX_NAME_LENGTH} characters.`, 'name');
  }
  assertPrintable(trimmed, 'name');
  return trimmed;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** PostgreSQL's jsonb refuses lone surrogates and NUL characters: whether `value` has neither. */
export function storableJson(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value) && !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(storableJson);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, item]) => storableJson(key) && storableJson(item));
  }
  return true;
}

/**
 * Text that reaches other clients and the database must be well-formed Unicode (a lone surrogate
 * cannot be stored as UTF-8) without control characters.
 */
function assertPrintable(text: string, field: string): void {
  // eslint-disable-next-line no-control-regex
  if (LONE_SURROGATE.test(text) || /[\u0000-\u001f\u007f]/.test(text)) {
    throw bad(`${field} must be well-formed text without control characters.`, field);
  }
}

export function validateSdp(sdp: string, field: string): string {
  if (Buffer.byteLength(sdp) > MAX_SDP_BYTES) {
    throw new DomainError(ErrorCode.INVALID_SDP, `SDP is limited to ${MAX_SDP_BYTES} bytes.`, { field });
  }
  if (!sdp.startsWith('v=0')) {
    throw new DomainError(
      ErrorCode.INVALID_SDP,
      'This is not an SDP session description (it must start with "v=0").',
      {
        field,
      },
    );
  }
  return sdp;
}
