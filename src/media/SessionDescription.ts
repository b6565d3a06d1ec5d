import { Direction, SDPInfo } from 'semantic-sdp';
import type { SessionDescription as SessionDescriptionPort, TrackKind } from '../conference/ports';
import { DomainError, ErrorCode } from '../shared/errors';

/**
 * RFC 4566 token-char (what msid-id and mid are made of): visible ASCII less `"(),/:;<=>?@[\]`, so an id
 * stored and broadcast to every client can carry no HTML tag or quote.
 */
const TOKEN = /^[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7e]{1,64}$/;
const FINGERPRINT = /^([0-9A-F]{2}:){19,63}[0-9A-F]{2}$/i;

const invalid = (reason: string) =>
  new DomainError(ErrorCode.INVALID_SDP, `The SDP could not be used: ${reason}.`);

/** What medooze threw on an SDP, as the domain's INVALID_SDP. */
export function invalidSdp(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new DomainError(ErrorCode.INVALID_SDP, `The SDP could not be used: ${reason.slice(0, 200)}`);
}

/**
 * A client's SDP (offer or answer), parsed and checked once on our side; the domain hands the value
 * back to the peer as is, which gives medooze the parsed `info` (applyRemoteDescription): it is
 * parsed once.
 *
 * The checks refuse what medooze would otherwise accept silently, or half-apply and get stuck on:
 * an SDP without a usable DTLS fingerprint (so the DTLS peer would be authenticated by nothing) or
 * without ICE credentials, or with no media at all. RFC 8839 asks for a ufrag of 4+ and a password
 * of 22+ characters. What depends on the peer's previous negotiation (its mids) is checked by the
 * peer with `assertKeeps`.
 */
export class SessionDescription implements SessionDescriptionPort {
  private constructor(
    readonly sdp: string,
    /** `sdp` parsed (what medooze is given; it only reads it). */
    readonly info: SDPInfo,
    /** Whether it sends any track: a sendrecv or sendonly media section carrying an msid. */
    readonly sendsMedia: boolean,
    readonly sentTrackCount: number,
    /** The kind of each media section, by mid, in SDP order. */
    readonly mids: ReadonlyMap<string, TrackKind>,
    /** Its ICE credentials: new ones in a re-offer ask for an ICE restart. */
    readonly ice: { readonly ufrag: string; readonly pwd: string },
    /** The tracks it sends, as `<stream id> <track id>`. */
    private readonly sent: ReadonlySet<string> = new Set(),
  ) {}

  /** Whether it sends track `trackId` in stream `streamId`. */
  sends(streamId: string, trackId: string): boolean {
    return this.sent.has(`${streamId} ${trackId}`);
  }

  /**
   * Throws DomainError INVALID_SDP for SDP that cannot be used. The client's ICE candidates are
   * dropped here, before medooze sees them (`withoutCandidates`).
   */
  static parse(text: string): SessionDescription {
    const sdp = withoutCandidates(text);
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
    const mids = new Map<string, TrackKind>();
    for (const media of medias) {
      const mid = media.getId();
      if (!mid) throw invalid('a media section has no a=mid');
      if (!TOKEN.test(mid)) throw invalid('a mid must be 1 to 64 token characters (RFC 4566)');
      if (mids.has(mid)) throw invalid(`mid "${mid.slice(0, 32)}" is used twice`);
      const kind = media.getType();
      if (kind !== 'audio' && kind !== 'video') {
        throw invalid(`media type "${String(kind).slice(0, 32)}" is not supported (audio and video only)`);
      }
      mids.set(mid, kind);
    }
    // Stream and track ids name media for every receiver and in the room's stored events (RFC 8830's
    // msid-id: 1 to 64 token characters).
    for (const [streamId, stream] of info.getStreams()) {
      if (!TOKEN.test(streamId))
        throw invalid('a stream id (msid) must be 1 to 64 token characters (RFC 4566)');
      for (const trackId of stream.getTracks().keys()) {
        if (!TOKEN.test(trackId))
          throw invalid('a track id (msid) must be 1 to 64 token characters (RFC 4566)');
      }
    }
    const dtls = info.getDTLS();
    if (!dtls || !FINGERPRINT.test(dtls.getFingerprint() ?? ''))
      throw invalid('it has no valid DTLS fingerprint');
    const ice = info.getICE();
    if (!ice || (ice.getUfrag() ?? '').length < 4 || (ice.getPwd() ?? '').length < 22) {
      throw invalid('it has no valid ICE credentials (ice-ufrag, ice-pwd)');
    }
    return new SessionDescription(
      sdp,
      info,
      sendsMedia(info),
      sentTracks(info),
      mids,
      { ufrag: ice.getUfrag(), pwd: ice.getPwd() },
      sentTrackIds(info),
    );
  }

  /** The value `parse` made (the domain hands it back as is); a TypeError for anything else. */
  static of(description: SessionDescriptionPort): SessionDescription {
    if (description instanceof SessionDescription) return description;
    throw new TypeError('this SDP was not parsed by the media engine (parseDescription)');
  }

  /**
   * Unified plan never takes an m-section back or changes its kind; medooze's transceivers assume it.
   * `previous` is the mids of the last description the peer applied.
   */
  assertKeeps(previous: ReadonlyMap<string, TrackKind>): void {
    for (const [mid, kind] of previous) {
      if (this.mids.get(mid) !== kind) {
        throw invalid(
          `media section "${mid.slice(0, 32)}" (${kind}) of the previous negotiation is missing or changed`,
        );
      }
    }
  }
}

/**
 * medooze sends STUN checks to every `a=candidate` of a remote description for about 30 s, so an
 * offer naming 857 candidates made this server send 3,069 packets to any address the client chose
 * (internal ones included): an amplifier. As an ICE-lite server it needs none of them: it learns the
 * peer's address from the peer's own checks. Candidate lines (and end-of-candidates) are removed.
 */
export function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(candidate:|end-of-candidates)[^\n]*(\n|$)/gm, '');
}

/** Tracks of the sending media sections. */
function sentTracks(info: SDPInfo): number {
  const sending = new Set(
    info
      .getMedias()
      .filter((media) => [Direction.SENDRECV, Direction.SENDONLY].includes(media.getDirection()))
      .map((media) => media.getId()),
  );
  let count = 0;
  for (const stream of info.getStreams().values()) {
    for (const track of stream.getTracks().values()) if (sending.has(track.getMediaId())) count++;
  }
  return count;
}

function sentTrackIds(info: SDPInfo): Set<string> {
  const sending = new Set(
    info
      .getMedias()
      .filter((media) => [Direction.SENDRECV, Direction.SENDONLY].includes(media.getDirection()))
      .map((media) => media.getId()),
  );
  const ids = new Set<string>();
  for (const [streamId, stream] of info.getStreams()) {
    for (const [trackId, track] of stream.getTracks()) {
      if (sending.has(track.getMediaId())) ids.add(`${streamId} ${trackId}`);
    }
  }
  return ids;
}

function sendsMedia(info: SDPInfo): boolean {
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
