import { Direction, SDPInfo } from 'semantic-sdp';
import { DomainError, ErrorCode } from '../shared/errors';

const TOKEN = /^[\x21-\x7e]{1,64}$/;
const FINGERPRINT = /^([0-9A-F]{2}:){19,63}[0-9A-F]{2}$/i;

const invalid = (reason: string) =>
  new DomainError(ErrorCode.INVALID_SDP, `The SDP could not be used: ${reason}.`);

/**
 * What medooze would otherwise accept silently: an offer without a usable DTLS fingerprint (so the
 * DTLS peer would be authenticated by nothing) or without ICE credentials, or with no media at all.
 * RFC 8839 asks for a ufrag of 4+ and a password of 22+ characters.
 */
export function checkRemoteDescription(
  sdp: string,
  knownMids?: ReadonlyMap<string, string>,
): Map<string, string> {
  let info: SDPInfo;
  try {
    info = SDPInfo.parse(sdp);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message.slice(0, 200) : 'unparsable');
  }
  const medias = info.getMedias();
  if (medias.length === 0) throw invalid('it has no media section');
  // Unified plan names every media section by a unique mid; medooze keys its transceivers by it and
  // half-applies a description that repeats or omits one, leaving the negotiation stuck.
  const mids = new Set<string>();
  for (const media of medias) {
    const mid = media.getId();
    if (!mid) throw invalid('a media section has no a=mid');
    if (!TOKEN.test(mid)) throw invalid('a mid must be 1 to 64 visible ASCII characters');
    if (mids.has(mid)) throw invalid(`mid "${mid.slice(0, 32)}" is used twice`);
    mids.add(mid);
    if (media.getType() !== 'audio' && media.getType() !== 'video') {
      throw invalid(
        `media type "${String(media.getType()).slice(0, 32)}" is not supported (audio and video only)`,
      );
    }
  }
  // Unified plan never takes an m-section back or changes its kind; medooze's transceivers assume it.
  const kinds = new Map(medias.map((media) => [media.getId(), media.getType()]));
  for (const [mid, kind] of knownMids ?? []) {
    if (kinds.get(mid) !== kind) {
      throw invalid(
        `media section "${mid.slice(0, 32)}" (${kind}) of the previous negotiation is missing or changed`,
      );
    }
  }
  // Stream and track ids name media for every receiver and in the room's stored events (RFC 8830's
  // msid-id: 1 to 64 token characters).
  for (const [streamId, stream] of info.getStreams()) {
    if (!TOKEN.test(streamId)) throw invalid('a stream id (msid) must be 1 to 64 visible ASCII characters');
    for (const trackId of stream.getTracks().keys()) {
      if (!TOKEN.test(trackId)) throw invalid('a track id (msid) must be 1 to 64 visible ASCII characters');
    }
  }
  const dtls = info.getDTLS();
  if (!dtls || !FINGERPRINT.test(dtls.getFingerprint() ?? ''))
    throw invalid('it has no valid DTLS fingerprint');
  const ice = info.getICE();
  if (!ice || (ice.getUfrag() ?? '').length < 4 || (ice.getPwd() ?? '').length < 22) {
    throw invalid('it has no valid ICE credentials (ice-ufrag, ice-pwd)');
  }
  return kinds;
}

/** Whether the offer sends anything: a sendrecv or sendonly media section that carries a stream (msid). */
export function offersToSend(sdp: string): boolean {
  let info: SDPInfo;
  try {
    info = SDPInfo.parse(sdp);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message.slice(0, 200) : 'unparsable');
  }
  const sending = new Set(
    info
      .getMedias()
      .filter((media) => [Direction.SENDRECV, Direction.SENDONLY].includes(media.getDirection()))
      .map((media) => media.getId()),
  );
  for (const stream of info.getStreams().values()) {
    for (const track of stream.getTracks().values()) if (sending.has(track.getMediaId())) return true;
  }
  return false;
}
