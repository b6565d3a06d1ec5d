import { errorCode } from './errors';
import { RoomSettingsDocument } from './operations';
import type { CameraLayers } from './Publisher';
import type { Transport } from './transport';

/** What a client reads of a room before it makes its join offer. */
export interface RoomBeforeJoin {
  /** null: unreadable (then no layers); 'defaults': the join creates the room with the server's. */
  settings: { simulcast: boolean; videoCodec: string } | 'defaults' | null;
  /** Streams published in it now: the join offer gets a receive-only pair for each. */
  streams: number;
}

/** The room's settings and how many streams are published in it (one query). */
export async function readRoomBeforeJoin(transport: Transport, roomId: string): Promise<RoomBeforeJoin> {
  try {
    const { room } = await transport.request(RoomSettingsDocument, { id: roomId });
    const streams = room.participants.reduce((sum, participant) => sum + participant.streams.length, 0);
    return { settings: room, streams };
  } catch (error) {
    // The answer has the last word on layers anyway; streams not offered for come in a server offer.
    return { settings: errorCode(error) === 'ROOM_NOT_FOUND' ? 'defaults' : null, streams: 0 };
  }
}

/**
 * How the camera is sent. `'auto'`: simulcast in VP8 rooms that allow it, SVC in VP9 ones, else one
 * plain encoding; an unknown room gets the server's defaults (VP8, simulcast).
 */
export function layersFor(room: RoomBeforeJoin, wanted: boolean | 'auto'): CameraLayers {
  if (wanted !== 'auto') return wanted ? 'simulcast' : 'none';
  const { settings } = room;
  if (settings === 'defaults') return 'simulcast';
  if (!settings?.simulcast) return 'none';
  return settings.videoCodec === 'VP8' ? 'simulcast' : settings.videoCodec === 'VP9' ? 'svc' : 'none';
}
