/**
 * A real WebRTC peer for integration tests, built on werift (pure TypeScript WebRTC).
 *
 * One RTCPeerConnection (unified plan, BUNDLE) that publishes synthetic Opus and VP8/VP9 RTP and
 * counts what it receives per remote MediaStream id. It only does SDP: the test moves the offers and
 * answers through whatever signalling it exercises (GraphQL, or a bare medooze SDP manager).
 *
 * Network: only one host candidate on 127.0.0.1, socket bound to loopback, no STUN/TURN, no TCP.
 */
import { randomUUID } from 'node:crypto';
import {
  MediaStream,
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  useAbsSendTime,
  useSdesMid,
  useTransportWideCC,
  type CandidatePair,
  type RTCDtlsTransport,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RTCTrackEvent,
  type RtcpPacket,
} from 'werift';

export type VideoCodecName = 'VP8' | 'VP9';

export interface TestPeerOptions {
  /** Which local tracks to send (default both). A kind not published gets a recvonly m-line. */
  publish?: { audio?: boolean; video?: boolean };
  /** Preferred video codec (default VP8). With VP9 the offer lists VP9 first and VP8 as fallback. */
  videoCodec?: VideoCodecName;
  /**
   * Receive-only audio + video section pairs added after its own (default 0): what a joiner offers
   * to receive the streams already in the room in the join answer itself.
   */
  receiveSections?: number;
  /** Frames between the keyframes it sends unasked (default 30: one every 2 s). */
  keyframeEvery?: number;
}

export interface ReceivedCounts {
  audio: number;
  video: number;
}

type Kind = 'audio' | 'video';

/** One remote track, keyed by the transceiver that receives it. */
interface RemoteTrackRecord {
  kind: Kind;
  streamId: string;
  transceiver: RTCRtpTransceiver;
  packets: number;
  keyframes: number;
  /** The first video packet: when it came (performance.now()) and whether it starts a keyframe. */
  first?: { at: number; keyframe: boolean };
}

const LOOPBACK = '127.0.0.1';

/** Opus TOC 0xf8 (config 31: CELT fullband 20 ms, mono, one frame) + 0xff 0xfe: decodes to silence. */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
const AUDIO_INTERVAL_MS = 20;
/** RFC 6464 audio level, which the SFU's active speaker detection reads. */
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const AUDIO_LEVEL_EXTENSION_ID = 10;
const AUDIO_TIMESTAMP_STEP = 960; // 20 ms at 48 kHz

export const VIDEO_FPS = 15;
const VIDEO_TIMESTAMP_STEP = 90000 / VIDEO_FPS; // 6000
const KEYFRAME_EVERY = 30; // frames: one every 2 s
const VIDEO_WIDTH = 320;
const VIDEO_HEIGHT = 240;
const KEYFRAME_BYTES = 1000;
const INTERFRAME_BYTES = 200;
/** Split frames above this size, so keyframes span two packets (marker only on the last). */
const MAX_FRAGMENT_BYTES = 600;

const PT_OPUS = 111;
const PT_VP8 = 96;
const PT_VP9 = 98;

/** RTCP PSFB FMT values (RFC 4585 / RFC 5104). */
const PSFB_PLI = PictureLossIndication.count; // 1
const PSFB_FIR = 4;

const random16 = (): number => Math.floor(Math.random() * 0x10000);
const random32 = (): number => Math.floor(Math.random() * 0x100000000);

export class TestPeer {
  readonly pc: RTCPeerConnection;
  /** The msid stream id of both local tracks: the SFU forwards them under this id. */
  readonly streamId = randomUUID();
  readonly videoCodec: VideoCodecName;

  private _pliCount = 0;
  private _firCount = 0;
  private _keyframesSent = 0;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly remote = new Map<RTCRtpTransceiver, RemoteTrackRecord>();
  private readonly extraVideos = new Map<string, RTCRtpTransceiver>();
  private readonly watchedTransports = new WeakSet<RTCDtlsTransport>();

  private audioSender?: RTCRtpSender;
  private videoSender?: RTCRtpSender;
  private audioSeq = random16();
  private audioTs = random32();
  private videoSeq = random16();
  private videoTs = random32();
  private videoFrame = 0;
  private audioPackets = 0;
  private vp9PictureId = random16() & 0x7fff;
  /** Set by PLI/FIR and by the connection coming up: the next frame is a keyframe. */
  private keyframePending = true;
  private readonly keyframeEvery: number;
  /** PLI/FIR before this time (performance.now()) are counted and not honoured. */
  private deafUntil = 0;
  /** The audio level sent in every audio packet: -dBov, 0 (loudest) to 127 (silence). */
  audioLevel = 127;
  /** When the connection (ICE and DTLS) came up, by performance.now(); 0 before. */
  connectedAt = 0;

  constructor(options: TestPeerOptions = {}) {
    const publishAudio = options.publish?.audio ?? true;
    const publishVideo = options.publish?.video ?? true;
    this.videoCodec = options.videoCodec ?? 'VP8';
    this.keyframeEvery = options.keyframeEvery ?? KEYFRAME_EVERY;

    const videoFeedback = [
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
      { type: 'ccm', parameter: 'fir' },
      { type: 'goog-remb' },
      { type: 'transport-cc' },
    ];
    const vp8 = new RTCRtpCodecParameters({
      mimeType: 'video/VP8',
      clockRate: 90000,
      payloadType: PT_VP8,
      rtcpFeedback: videoFeedback,
    });
    const vp9 = new RTCRtpCodecParameters({
      mimeType: 'video/VP9',
      clockRate: 90000,
      payloadType: PT_VP9,
      rtcpFeedback: videoFeedback,
      parameters: 'profile-id=0',
    });

    this.pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      codecs: {
        audio: [
          new RTCRtpCodecParameters({
            mimeType: 'audio/opus',
            clockRate: 48000,
            channels: 2,
            payloadType: PT_OPUS,
            rtcpFeedback: [{ type: 'transport-cc' }],
          }),
        ],
        video: this.videoCodec === 'VP9' ? [vp9, vp8] : [vp8],
      },
      headerExtensions: {
        audio: [
          useSdesMid(),
          useAbsSendTime(),
          new RTCRtpHeaderExtensionParameters({ id: AUDIO_LEVEL_EXTENSION_ID, uri: AUDIO_LEVEL_URI }),
        ],
        video: [useSdesMid(), useTransportWideCC(), useAbsSendTime()],
      },
      iceServers: [],
      // Loopback only. werift's host gathering skips `internal` interfaces (so never 127.0.0.1)
      // and takes every other IPv4/IPv6 address; `iceInterfaceAddresses` only narrows that list
      // when it matches, so it cannot select loopback. Hence: gather no OS addresses at all
      // (both families off), add 127.0.0.1 explicitly, bind the UDP socket to it, and refuse any
      // candidate pair that is not loopback on both ends (a server candidate on another address
      // would otherwise get connectivity checks).
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceUseTcp: false,
      iceAdditionalHostAddresses: [LOOPBACK],
      iceInterfaceAddresses: { udp4: LOOPBACK },
      iceFilterCandidatePair: (pair: CandidatePair) =>
        pair.localCandidate.host === LOOPBACK && pair.remoteCandidate.host === LOOPBACK,
    });

    // Audio then video, so m-line order is stable. Both tracks share one MediaStream (msid).
    const stream = new MediaStream({ id: this.streamId });
    if (publishAudio) {
      const track = new MediaStreamTrack({ kind: 'audio' });
      stream.addTrack(track);
      this.audioSender = this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] }).sender;
    } else {
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    if (publishVideo) {
      const track = new MediaStreamTrack({ kind: 'video' });
      stream.addTrack(track);
      this.videoSender = this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] }).sender;
    } else {
      this.pc.addTransceiver('video', { direction: 'recvonly' });
    }

    for (let pair = 0; pair < (options.receiveSections ?? 0); pair++) {
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
      this.pc.addTransceiver('video', { direction: 'recvonly' });
    }

    // The pre-connection keyframe is dropped by werift (no DTLS yet), so start with a fresh one
    // the moment media can flow; the SFU may also PLI, this just avoids waiting 2 s for the next.
    this.pc.connectionStateChange.subscribe((state) => {
      if (state !== 'connected') return;
      this.keyframePending = true;
      this.connectedAt ||= performance.now();
    });
    this.pc.ontrack = (event) => this.onRemoteTrack(event);

    // Media runs from creation: werift drops RTP while DTLS is not connected or no codec is
    // negotiated (pendingRtp is off by default), which is exactly "drop until connected".
    // unref(): a test that forgets close() must not keep jest's worker alive.
    if (this.audioSender) this.timers.push(setInterval(() => this.sendAudio(), AUDIO_INTERVAL_MS).unref());
    if (this.videoSender) {
      this.timers.push(setInterval(() => this.sendVideoFrame(), Math.round(1000 / VIDEO_FPS)).unref());
    }
  }

  /** Same as `streamId`: the msid of the local audio and video tracks. */
  get localStreamId(): string {
    return this.streamId;
  }

  get connectionState(): RTCPeerConnection['connectionState'] {
    return this.pc.connectionState;
  }

  /** PLIs received for the local video track. */
  get pliCount(): number {
    return this._pliCount;
  }

  /** FIRs received for the local video track (medooze normally uses PLI). */
  get firCount(): number {
    return this._firCount;
  }

  /**
   * Seconds of video made so far (frames over the frame rate, before connecting too): under load
   * the send timer falls behind the clock, and this is what a recording of the stream can hold.
   */
  get videoSecondsSent(): number {
    return this.videoFrame / VIDEO_FPS;
  }

  /** Seconds of audio made so far (20 ms packets, before connecting too). */
  get audioSecondsSent(): number {
    return (this.audioPackets * AUDIO_INTERVAL_MS) / 1000;
  }

  /** Keyframes actually handed to werift once connected (before that they are dropped). */
  get keyframesSent(): number {
    return this._keyframesSent;
  }

  // ---------------------------------------------------------------------------------------------
  // Signalling (SDP only; the server is ICE-lite and does not trickle, so every SDP we hand out
  // carries the complete candidate list)

  /** createOffer + setLocalDescription; resolves with the offer SDP including candidates. */
  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.watchKeyframeRequests();
    return this.localSdpWithCandidates();
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    this.watchKeyframeRequests();
  }

  /** setRemoteDescription(offer) + createAnswer + setLocalDescription; resolves with the answer. */
  async acceptOffer(sdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.watchKeyframeRequests();
    return this.localSdpWithCandidates();
  }

  private async localSdpWithCandidates(): Promise<string> {
    // werift's setLocalDescription already awaits host gathering; wait anyway in case a future
    // version stops doing so (loopback-only gathering completes in milliseconds).
    if (this.pc.iceGatheringState !== 'complete') {
      await this.waitFor(() => this.pc.iceGatheringState === 'complete', 5000, 'ICE gathering to complete');
    }
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('TestPeer: no local description after setLocalDescription');
    return sdp;
  }

  // ---------------------------------------------------------------------------------------------
  // Reception

  /** RTP packets received so far for a remote stream id (summed over its tracks, also inactive ones). */
  received(streamId: string): ReceivedCounts {
    const counts: ReceivedCounts = { audio: 0, video: 0 };
    for (const record of this.remote.values()) {
      if (record.streamId === streamId) counts[record.kind] += record.packets;
    }
    return counts;
  }

  /** Video packets received for a stream id that start a keyframe (VP8 P=0 / VP9 P=0,B=1). */
  videoKeyframesReceived(streamId: string): number {
    let total = 0;
    for (const record of this.remote.values()) {
      if (record.streamId === streamId && record.kind === 'video') total += record.keyframes;
    }
    return total;
  }

  /** The first video packet received for a stream id: when, and whether it starts a keyframe. */
  firstVideoPacket(streamId: string): { at: number; keyframe: boolean } | undefined {
    const firsts = [...this.remote.values()]
      .filter((record) => record.streamId === streamId && record.kind === 'video' && record.first)
      .map((record) => record.first!);
    return firsts.sort((a, b) => a.at - b.at)[0];
  }

  /**
   * Remote stream ids with at least one track currently being received.
   *
   * Evaluated on each call from werift's `transceiver.currentDirection`, which werift updates
   * whenever an answer is applied (ours in acceptOffer, theirs in acceptAnswer): a track counts
   * while its negotiated direction includes receiving (`recvonly`/`sendrecv`). When the SFU stops
   * forwarding a stream it re-offers the m-line `inactive` (medooze never reuses it), so the
   * stream disappears here after that renegotiation. werift emits no ended/mute event for this.
   */
  remoteStreamIds(): string[] {
    const ids = new Set<string>();
    for (const record of this.remote.values()) {
      if (isReceiving(record.transceiver)) ids.add(record.streamId);
    }
    return [...ids];
  }

  /** Polls `predicate` every 50 ms; rejects with `Timed out after Nms waiting for <description>`. */
  waitFor(predicate: () => boolean, timeoutMs: number, description: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = (): void => {
        let ok = false;
        try {
          ok = predicate();
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (ok) {
          resolve();
        } else if (Date.now() - started >= timeoutMs) {
          reject(new Error(`TestPeer: timed out after ${timeoutMs} ms waiting for ${description}`));
        } else {
          setTimeout(check, 50);
        }
      };
      check();
    });
  }

  /** Idempotent: stops the media timers and closes the peer connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await this.pc.close();
  }

  private onRemoteTrack(event: RTCTrackEvent): void {
    const { track, transceiver } = event;
    const kind: Kind = track.kind === 'audio' ? 'audio' : 'video';
    // The stream id is the msid the SFU put on the m-line (the publisher's stream id).
    const streamId = event.streams[0]?.id ?? track.streamId ?? '-';
    const existing = this.remote.get(transceiver);
    if (existing) {
      // werift fires ontrack again when an m-line goes back to sending; keep the counters and
      // the single onReceiveRtp subscription, just follow a possibly new msid.
      existing.streamId = streamId;
      return;
    }
    const record: RemoteTrackRecord = { kind, streamId, transceiver, packets: 0, keyframes: 0 };
    this.remote.set(transceiver, record);
    track.onReceiveRtp.subscribe((packet) => {
      record.packets++;
      if (record.kind !== 'video') return;
      const codec = videoCodecOf(transceiver, packet);
      const keyframe = startsKeyframe(codec, packet.payload);
      if (keyframe) record.keyframes++;
      // Media only: not padding (empty) nor a payload type of no video codec (RTX).
      if (codec && packet.payload.length > 0) record.first ??= { at: performance.now(), keyframe };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Synthetic media

  /**
   * Listens for PLI/FIR on the DTLS transport itself, not on `sender.onRtcp` /
   * `sender.onPictureLossIndication`: werift's router delivers a PSFB packet to
   * `ssrcTable[senderSsrc] || ssrcTable[mediaSsrc]`, and once the SFU forwards a stream to this
   * peer, medooze's feedback carries the SSRC of one of those forwarded streams as sender SSRC.
   * werift then hands our PLI to that RTCRtpReceiver and the sender never hears of it. Called after
   * every signalling step because werift (re)assigns the sender's transport during negotiation.
   */
  private watchKeyframeRequests(): void {
    const transport = this.videoSender?.dtlsTransport;
    if (!transport || this.watchedTransports.has(transport)) return;
    this.watchedTransports.add(transport);
    transport.onRtcp.subscribe((packet) => this.onRtcp(packet));
  }

  private onRtcp(packet: RtcpPacket): void {
    const ssrc = this.videoSender?.ssrc;
    if (ssrc === undefined || packet.type !== RtcpPayloadSpecificFeedback.type) return;
    const feedback = packet.feedback;
    if (feedback.count === PSFB_PLI && 'mediaSsrc' in feedback && feedback.mediaSsrc === ssrc) {
      this._pliCount++;
    } else if (
      feedback.count === PSFB_FIR &&
      'fir' in feedback &&
      feedback.fir.some((e) => e.ssrc === ssrc)
    ) {
      this._firCount++; // RFC 5104: FIR's media SSRC is 0, the target is in the FCI entries
    } else {
      return;
    }
    if (performance.now() < this.deafUntil) return;
    this.keyframePending = true;
  }

  /**
   * Ignores keyframe requests for `ms`, as a Chromium publisher ignores those that come within
   * 300 ms of the last one it honoured (WebRTC's EncoderRtcpFeedback).
   */
  ignoreKeyframeRequestsFor(ms: number): void {
    this.deafUntil = performance.now() + ms;
  }

  private sendAudio(): void {
    const sender = this.audioSender;
    if (!sender || this.closed) return;
    const header = new RtpHeader({
      payloadType: PT_OPUS, // werift overwrites ssrc and payloadType with the negotiated values
      sequenceNumber: this.audioSeq,
      timestamp: this.audioTs,
      marker: false,
      extension: true,
      // -dBov, 0 (loudest) to 127 (silence); the voice-activity bit is set when not silent.
      extensions: [
        {
          id: this.audioLevelExtensionId(),
          payload: Buffer.from([(this.audioLevel < 127 ? 0x80 : 0) | this.audioLevel]),
        },
      ],
    });
    this.audioSeq = (this.audioSeq + 1) & 0xffff;
    this.audioTs = (this.audioTs + AUDIO_TIMESTAMP_STEP) >>> 0;
    this.audioPackets++;
    send(sender, new RtpPacket(header, OPUS_SILENCE));
  }

  /** werift renumbers the extensions it offers: the id in force is the one in its local SDP. */
  private audioLevelExtensionId(): number {
    const match = new RegExp(`a=extmap:(\\d+) ${AUDIO_LEVEL_URI}`).exec(this.pc.localDescription?.sdp ?? '');
    return match ? Number(match[1]) : AUDIO_LEVEL_EXTENSION_ID;
  }

  /** Drops our own pending offer (the polite peer yielding to the server's offer). */
  async rollback(): Promise<void> {
    if (this.pc.signalingState === 'have-local-offer') {
      await this.pc.setLocalDescription({ type: 'rollback' } as Parameters<
        RTCPeerConnection['setLocalDescription']
      >[0]);
    }
  }

  /**
   * Adds a second video stream (a second camera, a screen share) as a new sendonly transceiver
   * with its own msid. VP8 only; it sends a keyframe every 10 frames rather than answering PLIs.
   * Renegotiate afterwards (createOffer + the server's `renegotiate`). Returns the new stream id.
   */
  addExtraVideo(): string {
    const stream = new MediaStream({ id: randomUUID() });
    const track = new MediaStreamTrack({ kind: 'video' });
    stream.addTrack(track);
    const transceiver = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    let sequence = random16();
    let timestamp = random32();
    let frame = 0;
    const timer = setInterval(
      () => {
        const sender = transceiver.sender;
        const keyframe = frame++ % 10 === 0;
        timestamp = (timestamp + VIDEO_TIMESTAMP_STEP) >>> 0;
        if (
          this.closed ||
          !sender.codec ||
          this.pc.connectionState !== 'connected' ||
          transceiver.direction === 'inactive'
        ) {
          return;
        }
        const payloads = vp8Packets(keyframe);
        payloads.forEach((payload, index) => {
          const header = new RtpHeader({
            payloadType: sender.codec?.payloadType ?? PT_VP8,
            sequenceNumber: sequence,
            timestamp,
            marker: index === payloads.length - 1,
          });
          sequence = (sequence + 1) & 0xffff;
          send(sender, new RtpPacket(header, payload));
        });
      },
      Math.round(1000 / VIDEO_FPS),
    ).unref();
    this.timers.push(timer);
    this.extraVideos.set(stream.id, transceiver);
    return stream.id;
  }

  /** Stops sending an extra video stream (its transceiver becomes inactive); renegotiate afterwards. */
  stopExtraVideo(streamId: string): void {
    this.extraVideos.get(streamId)?.setDirection('inactive');
  }

  private sendVideoFrame(): void {
    const sender = this.videoSender;
    if (!sender || this.closed) return;
    // Encode for whatever codec was negotiated (the first one of the answer).
    const codec: VideoCodecName | undefined = sender.codec
      ? sender.codec.mimeType.toLowerCase() === 'video/vp9'
        ? 'VP9'
        : 'VP8'
      : undefined;
    const keyframe = this.keyframePending || this.videoFrame % this.keyframeEvery === 0;
    const timestamp = this.videoTs;
    this.videoFrame++;
    this.videoTs = (this.videoTs + VIDEO_TIMESTAMP_STEP) >>> 0;
    // Not negotiated or not connected yet: werift would drop it. Keep the pending keyframe.
    if (!codec || this.pc.connectionState !== 'connected') return;
    if (keyframe) {
      this.keyframePending = false;
      this._keyframesSent++;
    }

    let payloads: Buffer[];
    if (codec === 'VP8') {
      payloads = vp8Packets(keyframe);
    } else {
      this.vp9PictureId = (this.vp9PictureId + 1) & 0x7fff;
      payloads = vp9Packets(keyframe, this.vp9PictureId);
    }
    payloads.forEach((payload, index) => {
      const header = new RtpHeader({
        payloadType: sender.codec?.payloadType ?? PT_VP8,
        sequenceNumber: this.videoSeq,
        timestamp,
        marker: index === payloads.length - 1,
      });
      this.videoSeq = (this.videoSeq + 1) & 0xffff;
      send(sender, new RtpPacket(header, payload));
    });
  }
}

/**
 * Sends through the sender directly rather than `track.writeRtp()`: writeRtp goes through an
 * event whose async subscriber does not catch, so a send failing during close() would surface as
 * an unhandled rejection and fail the test file.
 */
function send(sender: RTCRtpSender, packet: RtpPacket): void {
  sender.sendRtp(packet).catch(() => {
    // Dropped: closing or transport gone. Synthetic media; nothing to do.
  });
}

function isReceiving(transceiver: RTCRtpTransceiver): boolean {
  const direction = transceiver.currentDirection;
  return !transceiver.stopped && (direction === 'recvonly' || direction === 'sendrecv');
}

/** Whether `packet`, received on `transceiver`, starts a video keyframe (VP8 P=0 / VP9 P=0,B=1). */
export function packetStartsKeyframe(transceiver: RTCRtpTransceiver, packet: RtpPacket): boolean {
  return startsKeyframe(videoCodecOf(transceiver, packet), packet.payload);
}

function videoCodecOf(transceiver: RTCRtpTransceiver, packet: RtpPacket): VideoCodecName | undefined {
  const codec = transceiver.codecs.find((c) => c.payloadType === packet.header.payloadType);
  const mime = codec?.mimeType.toLowerCase();
  return mime === 'video/vp8' ? 'VP8' : mime === 'video/vp9' ? 'VP9' : undefined;
}

// -----------------------------------------------------------------------------------------------
// VP8 (RFC 7741)

/** One frame as RTP payloads: payload descriptor + (fragment of) a VP8 frame. */
function vp8Packets(keyframe: boolean): Buffer[] {
  const frame = Buffer.alloc(keyframe ? KEYFRAME_BYTES : INTERFRAME_BYTES, 0);
  // Frame tag (RFC 6386 9.1), little-endian 24 bits: P (bit 0, 0 = keyframe), version (bits 1-3,
  // 0), show_frame (bit 4, 1), first_part_size (bits 5-23).
  const headerBytes = keyframe ? 10 : 3;
  const firstPartSize = frame.length - headerBytes;
  const tag = (firstPartSize << 5) | (1 << 4) | (keyframe ? 0 : 1);
  frame[0] = tag & 0xff;
  frame[1] = (tag >> 8) & 0xff;
  frame[2] = (tag >> 16) & 0xff;
  if (keyframe) {
    // Start code, then 14-bit width / height with 2-bit scale, little-endian.
    frame[3] = 0x9d;
    frame[4] = 0x01;
    frame[5] = 0x2a;
    frame.writeUInt16LE(VIDEO_WIDTH, 6);
    frame.writeUInt16LE(VIDEO_HEIGHT, 8);
  }
  return fragment(frame).map((chunk, index) =>
    // Descriptor: X=0, N=0, S=1 on the first packet of the partition, PID=0.
    Buffer.concat([Buffer.from([index === 0 ? 0x10 : 0x00]), chunk]),
  );
}

// -----------------------------------------------------------------------------------------------
// VP9 (RFC 9628), non-flexible mode, one spatial and one temporal layer

function vp9Packets(keyframe: boolean, pictureId: number): Buffer[] {
  const frame = Buffer.alloc(keyframe ? KEYFRAME_BYTES : INTERFRAME_BYTES, 0);
  const bits = new BitWriter(frame);
  bits.write(2, 2); // frame_marker
  bits.write(0, 1); // profile_low_bit
  bits.write(0, 1); // profile_high_bit
  bits.write(0, 1); // show_existing_frame
  bits.write(keyframe ? 0 : 1, 1); // frame_type: 0 = KEY_FRAME
  bits.write(1, 1); // show_frame
  bits.write(0, 1); // error_resilient_mode
  if (keyframe) {
    bits.write(0x498342, 24); // frame_sync_code
    bits.write(1, 3); // color_space: CS_BT_601
    bits.write(0, 1); // color_range
    bits.write(VIDEO_WIDTH - 1, 16);
    bits.write(VIDEO_HEIGHT - 1, 16);
    bits.write(0, 1); // render_and_frame_size_different
  }
  const chunks = fragment(frame);
  return chunks.map((chunk, index) => {
    const first = index === 0;
    const last = index === chunks.length - 1;
    // I (picture id) | P (inter-predicted) | L (layer indices) | B (start) | E (end) | V (SS)
    let flags = 0x80 | 0x20;
    if (!keyframe) flags |= 0x40;
    if (first) flags |= 0x08;
    if (last) flags |= 0x04;
    const withSs = keyframe && first;
    if (withSs) flags |= 0x02;
    const descriptor = [
      flags,
      0x80 | (pictureId >> 8), // M=1: 15-bit picture id
      pictureId & 0xff,
      0x00, // TID=0, U=0, SID=0, D=0
      pictureId & 0xff, // TL0PICIDX (non-flexible mode): every frame is in temporal layer 0
    ];
    if (withSs) {
      // N_S = 0 (one spatial layer), Y = 1 (resolution present), G = 0
      descriptor.push(0x10, VIDEO_WIDTH >> 8, VIDEO_WIDTH & 0xff, VIDEO_HEIGHT >> 8, VIDEO_HEIGHT & 0xff);
    }
    return Buffer.concat([Buffer.from(descriptor), chunk]);
  });
}

class BitWriter {
  private bit = 0;
  constructor(private readonly buffer: Buffer) {}
  write(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) {
      if ((value >> i) & 1) this.buffer[this.bit >> 3] |= 0x80 >> (this.bit & 7);
      this.bit++;
    }
  }
}

function fragment(frame: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < frame.length; offset += MAX_FRAGMENT_BYTES) {
    chunks.push(frame.subarray(offset, offset + MAX_FRAGMENT_BYTES));
  }
  return chunks;
}

// -----------------------------------------------------------------------------------------------
// Keyframe detection on received packets (the SFU may rewrite descriptors, so parse them fully)

function startsKeyframe(codec: VideoCodecName | undefined, payload: Buffer): boolean {
  if (codec === 'VP8') return vp8StartsKeyframe(payload);
  if (codec === 'VP9') return vp9StartsKeyframe(payload);
  return false;
}

function vp8StartsKeyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const first = payload[0];
  const start = (first & 0x10) !== 0;
  const partitionId = first & 0x07;
  if (!start || partitionId !== 0) return false;
  let offset = 1;
  if (first & 0x80) {
    // X: extension byte with I (picture id), L (TL0PICIDX), T (TID), K (KEYIDX)
    if (payload.length < 2) return false;
    const ext = payload[1];
    offset = 2;
    if (ext & 0x80) offset += payload.length > offset && payload[offset] & 0x80 ? 2 : 1;
    if (ext & 0x40) offset += 1;
    if (ext & 0x30) offset += 1;
  }
  return payload.length > offset && (payload[offset] & 0x01) === 0;
}

function vp9StartsKeyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const flags = payload[0];
  const interPredicted = (flags & 0x40) !== 0;
  const beginning = (flags & 0x08) !== 0;
  return beginning && !interPredicted;
}
