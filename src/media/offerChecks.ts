import { Direction, SDPInfo } from 'semantic-sdp';
import { DomainError, ErrorCode } from '../shared/errors';

const FINGERPRINT = /^([0-9A-F]{2}:){19,63}[0-9A-F]{2}$/i;

const invalid = (reason: string) =>
  new DomainError(ErrorCode.INVALID_SDP, `The SDP could not be used: ${reason}.`);

/**
 * What medooze would otherwise accept silently: an offer without a usable DTLS fingerprint (so the
 * DTLS peer would be authenticated by nothing) or without ICE credentials, or with no media at all.
 * RFC 8839 asks for a ufrag of 4+ and a password of 22+ characters.
 */
export function checkRemoteDescription(sdp: string): void {
  let info: SDPInfo;
  try {
    info = SDPInfo.parse(sdp);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message.slice(0, 200) : 'unparsable');
  }
  if (info.getMedias().length === 0) throw invalid('it has no media section');
  const dtls = info.getDTLS();
  if (!dtls || !FINGERPRINT.test(dtls.getFingerprint() ?? ''))
    throw invalid('it has no valid DTLS fingerprint');
  const ice = info.getICE();
  if (!ice || (ice.getUfrag() ?? '').length < 4 || (ice.getPwd() ?? '').length < 22) {
    throw invalid('it has no valid ICE credentials (ice-ufrag, ice-pwd)');
  }
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
