/**
 * What a benchmark page is asked to do (PageJoinOptions) and what it records on the way to the
 * first decoded frame (PageMarks), shared by the page code (bench/lib/browser.ts) and the
 * first-frame scenario that reads it.
 */
import type { TargetKind } from './servers';

export interface PageJoinOptions {
  kind: TargetKind;
  /** http://127.0.0.1:PORT of the server. */
  url: string;
  roomId: string;
  name: string;
  /**
   * How the camera is sent: one VP8 encoding, three VP8 encodings (the page's default in simulcast
   * rooms), or VP9 with three spatial x three temporal layers (L3T3_KEY, the page's VP9 rooms).
   */
  layers: 'single' | 'simulcast' | 'svc';
  /**
   * Receive-only audio + video pairs offered for the streams already in the room, so the join
   * answer can carry them: 'room' asks our server (`room { participants { streams } }`, while
   * getUserMedia runs), a number is given by the driver (the baseline has no such query), 0 none.
   */
  receiveSections: 'room' | number;
}

/** What a page recorded; every time in ms on the machine-wide clock, 0 when not yet. */
export interface PageMarks {
  /** Pressing join: before getUserMedia. */
  pressedAt: number;
  /** Its own camera stream id (the msid others receive it under). */
  streamId: string;
  /** getUserMedia resolved. */
  mediaAt: number;
  /** The join (offer) was sent. */
  joinSentAt: number;
  /** Receive-only pairs its offer carried. */
  receiveSections: number;
  answeredAt: number;
  iceConnectedAt: number;
  /** RTCPeerConnection connectionState 'connected' (ICE and DTLS up). */
  connectedAt: number;
  /** Server offers received and answered (the time each arrived, and each answer was sent). */
  offersReceivedAt: number[];
  offersAnsweredAt: number[];
  /** Per remote stream id: first video RTP packet received and first frame decoded. */
  remote: Record<string, { firstRtpAt: number; firstDecodedAt: number }>;
  /** Its camera's outbound video: keyframes encoded and PLIs received, summed over encodings. */
  keyFramesEncoded: number;
  pliCount: number;
  errors: string[];
}
