import { DomainError, ErrorCode } from '../shared/errors';
import type { QualitySample, QualitySampleRepository } from './ports';
import type { RoomRegistry } from './RoomRegistry';

export interface ConferenceTotals {
  rooms: number;
  participants: number;
  publishedStreams: number;
  forwardedStreams: number;
}

/** Current totals over the live rooms (metrics). */
export function totalsOf(registry: RoomRegistry): ConferenceTotals {
  let participants = 0;
  let publishedStreams = 0;
  let forwardedStreams = 0;
  const rooms = registry.rooms();
  for (const room of rooms) {
    publishedStreams += room.publishedStreamCount;
    for (const participant of room.participants) {
      participants++;
      forwardedStreams += participant.peer.subscribedStreamIds().length;
    }
  }
  return { rooms: rooms.length, participants, publishedStreams, forwardedStreams };
}

/** Bits per second received from all participants and forwarded to them, now (from medooze's stats). */
export function bitratesOf(registry: RoomRegistry): { received: number; forwarded: number } {
  let received = 0;
  let forwarded = 0;
  for (const participant of registry.participants()) {
    const { inbound, outbound } = participant.peer.stats();
    for (const track of inbound) received += track.bitrate;
    for (const track of outbound) forwarded += track.bitrate;
  }
  return { received, forwarded };
}

/**
 * Call quality samples of participants (present or gone), oldest first, at most `last` each: in
 * one query where the repository can (data loaders), else one per participant.
 */
export async function qualityHistories(
  quality: QualitySampleRepository,
  participantIds: readonly string[],
  last: number,
): Promise<Map<string, QualitySample[]>> {
  if (!Number.isInteger(last) || last < 1 || last > 10_000) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, '`last` must be between 1 and 10000.');
  }
  if (quality.listForParticipants) return quality.listForParticipants(participantIds, last);
  const lists = await Promise.all(participantIds.map((id) => quality.listForParticipant(id, last)));
  return new Map(participantIds.map((id, index) => [id, lists[index]!]));
}
