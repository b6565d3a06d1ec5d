/**
 * Room ids as people type them, made valid the way Jitsi does: "My Room" -> "my-room",
 * "Café" -> "cafe". The server takes 1 to 64 letters, digits, "_", "-" or ".", starting with a
 * letter or digit; a longer id is refused here rather than cut (cutting joins a different room).
 */
export const MAX_ROOM_ID_LENGTH = 64;

export type RoomIdResult = { ok: true; id: string } | { ok: false; message: string };

export function slugifyRoomId(input: string): string {
  return input
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
}

export function roomIdFrom(input: string): RoomIdResult {
  if (!input.trim()) return { ok: false, message: 'Please enter a room id.' };
  const id = slugifyRoomId(input);
  if (!id) return { ok: false, message: 'A room id needs at least one letter or digit.' };
  if (id.length > MAX_ROOM_ID_LENGTH)
    return {
      ok: false,
      message: `A room id is at most ${MAX_ROOM_ID_LENGTH} characters (this one has ${id.length}); please shorten it.`,
    };
  return { ok: true, id };
}
