import { DomainError, ErrorCode } from '../shared/errors';
import type { Grants } from './grants';
import type { SessionDescription } from './ports';

/** FORBIDDEN for an offer that sends tracks from someone without the canPublish grant. */
export function assertMayPublish(grants: Grants, offer: SessionDescription): void {
  if (!grants.canPublish && offer.sendsMedia) {
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      'This participant may not publish: offer only recvonly (or inactive) media sections.',
    );
  }
}

/** TOO_MANY_TRACKS for an offer sending more tracks than one participant may publish. */
export function assertTrackCount(max: number, offer: SessionDescription): SessionDescription {
  if (offer.sentTrackCount > max) {
    throw new DomainError(
      ErrorCode.TOO_MANY_TRACKS,
      `A participant may send at most ${max} tracks (this offer sends ${offer.sentTrackCount}).`,
      { limit: max },
    );
  }
  return offer;
}
