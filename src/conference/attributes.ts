import { DomainError, ErrorCode } from '../shared/errors';
import { storableJson } from './validation';

export const MAX_ATTRIBUTES_BYTES = 4096;
export const MAX_ATTRIBUTE_KEYS = 32;
const MAX_DEPTH = 4;
const KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

const bad = (message: string) => new DomainError(ErrorCode.BAD_USER_INPUT, message, { field: 'attributes' });

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depth));
}

/**
 * A participant's attributes after applying `patch`: keys set to a value replace it, keys set to
 * null are removed, others stay (as LiveKit's setAttributes). BAD_USER_INPUT past 32 keys, 4 KB of
 * JSON, 4 levels of nesting, or for keys that are not 1-64 letters, digits, '_', '.', ':' or '-'.
 */
export function mergeAttributes(
  current: Readonly<Record<string, unknown>>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (!KEY.test(key)) throw bad('An attribute name is 1 to 64 letters, digits, "_", ".", ":" or "-".');
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (Object.keys(next).length > MAX_ATTRIBUTE_KEYS) throw bad(`At most ${MAX_ATTRIBUTE_KEYS} attributes.`);
  if (depth(next) > MAX_DEPTH) throw bad(`Attributes nest at most ${MAX_DEPTH - 1} levels deep.`);
  if (!storableJson(next)) throw bad('Attributes must be well-formed text (no lone surrogates or NUL).');
  if (Buffer.byteLength(JSON.stringify(next)) > MAX_ATTRIBUTES_BYTES) {
    throw bad(`Attributes are at most ${MAX_ATTRIBUTES_BYTES} bytes of JSON.`);
  }
  return next;
}
