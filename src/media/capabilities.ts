import * as MediaServer from 'medooze-media-server';
import type { VideoCodec } from '../conference/codecs';

type Capabilities = ReturnType<typeof MediaServer.getDefaultCapabilities>;

const VIDEO_CODEC_NAMES: Record<VideoCodec, string> = {
  VP8: 'vp8',
  VP9: 'vp9',
  H264: 'h264;packetization-mode=1',
};

/**
 * The header extensions simulcast needs on top of the ones always negotiated: mid (which m-line an
 * unsignalled SSRC belongs to), rtp-stream-id (which encoding, the rid) and repaired-rtp-stream-id
 * (which encoding an RTX packet repairs). Browsers send rid-based simulcast without SSRCs in the SDP,
 * so without them medooze cannot tell the encodings apart.
 */
const SIMULCAST_EXTENSIONS = [
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
];

/** Whether a room with this codec accepts simulcast: VP8 only (VP9 scales with its SVC layers instead). */
export function simulcastSupported(videoCodec: VideoCodec): boolean {
  return videoCodec === 'VP8';
}

/**
 * What a room's transports negotiate. The SFU never transcodes, so a room offers exactly one
 * video codec (the room's policy) and Opus: whatever one participant sends, every other can decode.
 * Header extensions and feedback (NACK, PLI, FIR, REMB, transport-cc, RTX) are medooze's defaults;
 * transport-cc is what the per-subscriber bandwidth estimation (and so layer selection) runs on.
 * `simulcast` (VP8 rooms only) answers a browser's `a=simulcast:send` offer with `recv`, so it sends
 * its encodings; otherwise the answer leaves simulcast out and the browser sends one encoding.
 */
export function capabilitiesFor(videoCodec: VideoCodec, simulcast = false): Capabilities {
  const defaults = MediaServer.getDefaultCapabilities();
  const withSimulcast = simulcast && simulcastSupported(videoCodec);
  const extensions = [...(defaults.video?.extensions ?? [])];
  if (withSimulcast) {
    for (const extension of SIMULCAST_EXTENSIONS)
      if (!extensions.includes(extension)) extensions.push(extension);
  }
  return {
    audio: { ...defaults.audio, codecs: ['opus'] },
    video: {
      ...defaults.video,
      codecs: [VIDEO_CODEC_NAMES[videoCodec]],
      extensions,
      simulcast: withSimulcast,
    },
  } as Capabilities;
}
