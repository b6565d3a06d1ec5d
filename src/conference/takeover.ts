import { logger } from '../shared/logger';
import type { ConferenceObserver } from './ConferenceObserver';
import { LeaveReason } from './events';
import type { SessionRepository } from './ports';
import type { Recordings } from './Recordings';
import type { Room } from './Room';

/**
 * Cluster: a room this node just took. Stays still open in the database began on its previous
 * holder, which died (a drained node ends its own stays before letting go): each is ended with
 * NODE_FAILURE and recorded as PARTICIPANT_LEFT, continuing the room's numbering; a recording the
 * dead node was making is FAILED.
 */
export async function endStaleStays(
  parts: { sessions: SessionRepository; observer: ConferenceObserver; recordings: Recordings },
  room: Room,
  since: Date,
): Promise<void> {
  await parts.recordings
    .takenOver(room, since)
    .catch((error: unknown) =>
      logger.warn({ err: error, roomId: room.id }, 'could not mark the recordings of a dead node FAILED'),
    );
  const ended = await parts.sessions.endLiveInRoom(room.id, since, LeaveReason.NODE_FAILURE);
  for (const stay of ended) {
    room.recordLostMember(stay.id, stay.displayName);
    parts.observer.notify('participantLeft', room.id, LeaveReason.NODE_FAILURE, stay.id);
  }
  if (ended.length > 0) {
    logger.info(
      { event: 'room.taken_over', roomId: room.id, count: ended.length },
      'took over a room from a node that died',
    );
  }
}
