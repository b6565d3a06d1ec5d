/**
 * Your side of the room: the local tracks sent, each with its transceiver and the id the room
 * knows it by, and how the camera is encoded (simulcast or SVC layers). Negotiation is the
 * client's; this only shapes the peer connection's senders.
 */

/**
 * The camera's encodings with simulcast: quarter, half and full resolution. The server forwards to
 * each subscriber the one that fits its bandwidth, or the one it asked for (setPreferredLayer).
 */
export const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'q', scaleResolutionDownBy: 4 },
  { rid: 'h', scaleResolutionDownBy: 2 },
  { rid: 'f', scaleResolutionDownBy: 1 },
];

/**
 * VP9 rooms get the same choice from one encoding: three spatial layers (1/4, 1/2, full resolution)
 * with three temporal layers each, of which the server forwards the ones that fit.
 */
export const SVC_ENCODINGS: Array<RTCRtpEncodingParameters & { scalabilityMode?: string }> = [
  { scalabilityMode: 'L3T3_KEY' },
];

export type CameraLayers = 'simulcast' | 'svc' | 'none';

/**
 * Narrows a receive-only transceiver to what the room sends (the server never transcodes: Opus, and
 * the room's video codec with its retransmissions): a Chromium video section listing every codec
 * it knows is ~4 KB of SDP, one with a single codec under 1 KB. Where the browser cannot, the
 * section stays as it is.
 */
function onlyRoomCodec(transceiver: RTCRtpTransceiver, kind: string, videoCodec: string | undefined): void {
  const wanted = kind === 'audio' ? 'audio/opus' : videoCodec ? `video/${videoCodec}`.toLowerCase() : null;
  const capabilities = globalThis.RTCRtpReceiver?.getCapabilities?.(kind)?.codecs;
  if (!wanted || !capabilities || !transceiver.setCodecPreferences) return;
  const codecs = capabilities.filter((codec) => {
    const mime = codec.mimeType.toLowerCase();
    return mime === wanted || mime === `${kind}/rtx`;
  });
  if (!codecs.some((codec) => codec.mimeType.toLowerCase() === wanted)) return;
  try {
    transceiver.setCodecPreferences(codecs);
  } catch {
    // A browser that refuses the list keeps offering everything: larger, still valid.
  }
}

/**
 * Receive-only audio + video pairs offered at most at join: a Chromium pair is ~4 KB of SDP and an
 * offer may have 64 KB. Rooms of up to 8 cameras fit; more streams come in a server offer.
 */
export const MAX_RECEIVE_PAIRS = 8;

export class Publisher {
  /** Local tracks sent, by track, with their transceiver. */
  readonly #transceivers = new Map<MediaStreamTrack, RTCRtpTransceiver>();
  /** The id the room knows a local track by (its first track's, after replaceTrack). */
  readonly #ids = new Map<MediaStreamTrack, string>();

  has(track: MediaStreamTrack): boolean {
    return this.#transceivers.has(track);
  }

  transceiver(track: MediaStreamTrack): RTCRtpTransceiver | undefined {
    return this.#transceivers.get(track);
  }

  /** The id the room knows `track` by. */
  idOf(track: MediaStreamTrack): string {
    return this.#ids.get(track) ?? track.id;
  }

  /** Your published track the room calls `id`. */
  trackWithId(id: string): MediaStreamTrack | undefined {
    return [...this.#ids].find(([, known]) => known === id)?.[0];
  }

  /**
   * At join: every track of `stream` as a sendonly transceiver (the camera with its layers), then
   * receive-only ones: an audio + video pair per stream already in the room (`roomStreams`, at most
   * MAX_RECEIVE_PAIRS), on which the server's answer sends those streams right away, and at least
   * one of each kind it does not send. Streams beyond those come in a server offer.
   */
  addLocalStream(
    pc: RTCPeerConnection,
    stream: MediaStream | null,
    camera: MediaStreamTrack | undefined,
    layers: CameraLayers,
    roomStreams = 0,
    /** The room's video codec, when known: the receive-only sections offer only it. */
    videoCodec?: string,
  ): void {
    const kinds = new Set<string>();
    for (const track of stream?.getTracks() ?? []) {
      this.#track(
        track,
        pc.addTransceiver(track, {
          direction: 'sendonly',
          streams: [stream!],
          ...(track === camera && layers !== 'none'
            ? { sendEncodings: layers === 'simulcast' ? SIMULCAST_ENCODINGS : SVC_ENCODINGS }
            : {}),
        }),
      );
      kinds.add(track.kind);
    }
    const pairs = Math.min(Math.max(0, roomStreams), MAX_RECEIVE_PAIRS);
    for (let pair = 0; pair < pairs; pair++)
      for (const kind of ['audio', 'video'])
        onlyRoomCodec(pc.addTransceiver(kind, { direction: 'recvonly' }), kind, videoCodec);
    if (pairs === 0)
      for (const kind of ['audio', 'video'])
        if (!kinds.has(kind)) pc.addTransceiver(kind, { direction: 'recvonly' });
  }

  /** A track sent after join (publishTrack), in `stream`. */
  add(
    pc: RTCPeerConnection,
    track: MediaStreamTrack,
    stream: MediaStream,
    simulcast: boolean,
  ): RTCRtpTransceiver {
    const transceiver = pc.addTransceiver(track, {
      direction: 'sendonly',
      streams: [stream],
      ...(simulcast ? { sendEncodings: SIMULCAST_ENCODINGS } : {}),
    });
    this.#track(track, transceiver);
    return transceiver;
  }

  /** Stops sending `track`; false if it was not sent. */
  remove(pc: RTCPeerConnection, track: MediaStreamTrack): boolean {
    const transceiver = this.#transceivers.get(track);
    if (!transceiver) return false;
    this.#transceivers.delete(track);
    this.#ids.delete(track);
    pc.removeTrack(transceiver.sender);
    return true;
  }

  /** Sends `next` in `current`'s place (same transceiver, same id in the room, same mute state). */
  async replace(
    current: MediaStreamTrack,
    next: MediaStreamTrack,
    localStream: MediaStream | null,
  ): Promise<void> {
    const transceiver = this.#transceivers.get(current);
    if (!transceiver) throw new Error('replaceTrack: that track is not published');
    next.enabled = current.enabled;
    await transceiver.sender.replaceTrack(next);
    const id = this.idOf(current);
    this.#transceivers.delete(current);
    this.#ids.delete(current);
    this.#track(next, transceiver, id);
    if (localStream?.getTracks().includes(current)) {
      localStream.removeTrack(current);
      localStream.addTrack(next);
    }
  }

  /**
   * After the answer: whether the server took the simulcast offer. If it turned it down, the browser
   * keeps only the first encoding (quarter resolution): send that one at full resolution instead.
   */
  static async keepSimulcast(transceiver: RTCRtpTransceiver): Promise<boolean> {
    const parameters = transceiver.sender.getParameters();
    if (parameters.encodings.length > 1) return true;
    const [encoding] = parameters.encodings;
    if (encoding && (encoding.scaleResolutionDownBy ?? 1) !== 1) {
      encoding.scaleResolutionDownBy = 1;
      await transceiver.sender.setParameters(parameters).catch(() => undefined);
    }
    return false;
  }

  #track(track: MediaStreamTrack, transceiver: RTCRtpTransceiver, id = track.id): void {
    this.#transceivers.set(track, transceiver);
    this.#ids.set(track, id);
  }
}
