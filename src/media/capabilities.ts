import * as MediaServer from 'medooze-media-server';
import type { VideoCodec } from '../conference/codecs';

type Capabilities = ReturnType<typeof MediaServer.getDefaultCapabilities>;

const VIDEO_CODEC_NAMES: Record<VideoCodec, string> = {
  VP8: 'vp8',
  VP9: 'vp9',
  H264: 'h264;packetization-mode=1',
};

/**
 * What a room's transports negotiate. The SFU never transcodes, so a room offers exactly one
 * video codec (the room's policy) and Opus: whatever one participant sends, every other can decode.
 * Header extensions and feedback (NACK, PLI, FIR, REMB, transport-cc, RTX) are medooze's defaults.
 */
export function capabilitiesFor(videoCodec: VideoCodec): Capabilities {
  const defaults = MediaServer.getDefaultCapabilities();
  return {
    audio: { ...defaults.audio, codecs: ['opus'] },
    video: { ...defaults.video, codecs: [VIDEO_CODEC_NAMES[videoCodec]], simulcast: false },
  } as Capabilities;
}
