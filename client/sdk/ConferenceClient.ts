import type { Client } from 'graphql-ws';
import { Emitter } from './emitter';
import { ConferenceError, errorCode } from './errors';
import type {
  JoinMutation,
  QualityHistoryQuery,
  RoomEventsSubscription,
  RoomQuery,
} from './generated/graphql';
import { Negotiator, type NegotiationPeer } from './Negotiator';
import {
  AnswerDocument,
  JoinDocument,
  KickParticipantDocument,
  LeaveDocument,
  MuteTrackDocument,
  QualityHistoryDocument,
  NegotiationDocument,
  PingDocument,
  RenegotiateDocument,
  RoomDocument,
  RoomEventsDocument,
  RoomSettingsDocument,
  SetPreferredLayerDocument,
  SetTrackMutedDocument,
} from './operations';
import { Transport, type TransportOptions } from './transport';

/** One sampling interval of a participant's call quality (bits per second, loss 0-1, ms). */
export type QualitySample = QualityHistoryQuery['room']['participants'][number]['qualityHistory'][number];

/** What you may do in the room (from your join token; everything on an open server). */
export type Grants = JoinMutation['join']['participant']['grants'];

/** Someone in the room (never yourself). */
export interface ParticipantInfo {
  readonly id: string;
  readonly name: string;
}

/** A MediaStream received from another participant; `id` is the publisher's stream id (`Stream.id`). */
export interface RemoteStream {
  readonly id: string;
  readonly stream: MediaStream;
  readonly participant: ParticipantInfo;
}

/**
 * - `idle`: not joined yet; `joining`: join sent, media not connected yet;
 * - `connected`: signalling socket and media up; `reconnecting`: one of them dropped, retrying;
 * - `failed`: the media connection failed; `closed`: out of the room (see the `left` event).
 */
export type ConnectionState = 'idle' | 'joining' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export interface ConferenceEvents {
  participantJoined: [participant: ParticipantInfo];
  participantLeft: [participant: ParticipantInfo, reason: string | null];
  streamAdded: [stream: RemoteStream];
  streamRemoved: [stream: RemoteStream];
  /** Someone else is speaking now (`null` id: it is you). */
  activeSpeaker: [participant: ParticipantInfo | null];
  /** Another participant muted or unmuted one of its tracks (`streamId` is its `RemoteStream.id`). */
  trackMuted: [change: { participant: ParticipantInfo; streamId: string; trackId: string; muted: boolean }];
  /** A moderator muted one of your tracks: it is disabled; `setTrackMuted(track, false)` unmutes it. */
  mutedByModerator: [track: MediaStreamTrack];
  connectionState: [state: ConnectionState, previous: ConnectionState];
  /** Something failed that the client could not handle by itself. */
  error: [error: ConferenceError];
  /** You are out of the room: `LEFT` (leave()), `ROOM_CLOSED`, or the server's reason (e.g. `TIMEOUT`, `SIGNALING_LOST`). */
  left: [reason: string];
}

export interface ConferenceClientOptions extends TransportOptions {
  /** RTCPeerConnection configuration (default: max-bundle, no ICE servers: the SFU is ICE-lite). */
  rtcConfiguration?: RTCConfiguration;
  /** Longest wait for ICE gathering before an SDP is sent anyway (ms, default 3000). */
  iceGatheringTimeoutMs?: number;
}

/**
 * The camera's encodings with simulcast: quarter, half and full resolution. The server forwards to
 * each subscriber the one that fits its bandwidth, or the one it asked for (setPreferredLayer).
 */
const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'q', scaleResolutionDownBy: 4 },
  { rid: 'h', scaleResolutionDownBy: 2 },
  { rid: 'f', scaleResolutionDownBy: 1 },
];

/**
 * VP9 rooms get the same choice from one encoding: three spatial layers (1/4, 1/2, full resolution)
 * with three temporal layers each, of which the server forwards the ones that fit.
 */
const SVC_ENCODINGS: Array<RTCRtpEncodingParameters & { scalabilityMode?: string }> = [
  { scalabilityMode: 'L3T3_KEY' },
];

export interface JoinOptions {
  /** On a secured server, the join token the application minted for this person. */
  token?: string;
  /**
   * Whether the camera (the first video track of the local stream) is sent as simulcast: three
   * encodings (rids q, h, f at 1/4, 1/2 and full resolution). `'auto'` (default): when the room
   * allows it (`Room.simulcast` and VP8; an unknown room is created with the server's defaults,
   * which allow it). If the server's answer turns simulcast down, one full-resolution encoding is sent.
   * In VP9 rooms that allow simulcast, `'auto'` sends SVC layers instead (scalabilityMode L3T3_KEY),
   * which the server chooses from in the same way.
   */
  simulcast?: boolean | 'auto';
}

type RoomEvent = RoomEventsSubscription['roomEvents'];
type RoomSnapshot = RoomQuery['room'];

/** RTCPeerConnection behind the Negotiator's interface. */
export class RtcNegotiationPeer implements NegotiationPeer {
  constructor(
    readonly pc: RTCPeerConnection,
    private readonly gatheringTimeoutMs = 3000,
  ) {}

  get signalingState(): RTCSignalingState {
    return this.pc.signalingState;
  }
  createOffer(): Promise<RTCSessionDescriptionInit> {
    return this.pc.createOffer();
  }
  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.pc.createAnswer();
  }
  setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.pc.setLocalDescription(description);
  }
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.pc.setRemoteDescription(description);
  }
  async gatheredLocalSdp(): Promise<string> {
    const pc = this.pc;
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.gatheringTimeoutMs);
        function done() {
          clearTimeout(timer);
          pc.removeEventListener('icegatheringstatechange', check);
          resolve();
        }
        function check() {
          if (pc.iceGatheringState === 'complete') done();
        }
        pc.addEventListener('icegatheringstatechange', check);
      });
    }
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new ConferenceError('INVALID_SDP', 'No local description.');
    return sdp;
  }
}

/**
 * A participant of a GraphQL SFU room, in the browser.
 *
 * ```ts
 * const client = new ConferenceClient();
 * client.on('streamAdded', ({ stream, participant }) => show(stream, participant.name));
 * client.on('streamRemoved', ({ id }) => hide(id));
 * await client.join('standup', 'Ada', await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
 * ```
 */
export class ConferenceClient extends Emitter<ConferenceEvents> {
  readonly #transport: Transport;
  readonly #options: ConferenceClientOptions;
  #state: ConnectionState = 'idle';
  #pc: RTCPeerConnection | undefined;
  #negotiator: Negotiator | undefined;
  #socket: Client | undefined;
  #socketUp = false;
  #socketEverUp = false;
  #unsubscribes: Array<() => void> = [];
  #participantId: string | undefined;
  #roomId: string | undefined;
  #localStream: MediaStream | null = null;
  /** Local tracks sent, by track, with their transceiver. */
  #published = new Map<MediaStreamTrack, RTCRtpTransceiver>();
  /** The id the room knows a local track by (its first track's, after replaceTrack). */
  #publishedIds = new Map<MediaStreamTrack, string>();
  /** Other participants' tracks that are muted now (from the room query and TRACK_MUTED/UNMUTED). */
  #mutedTracks = new Set<string>();
  #participants = new Map<string, ParticipantInfo>();
  /** Publisher of each stream id, as far as the room told us. */
  #streamOwner = new Map<string, string>();
  /** Received MediaStreams by id, and whether `streamAdded` was emitted for it. */
  #remote = new Map<string, { stream: MediaStream; announced: RemoteStream | null }>();
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #grants: Grants | undefined;
  #name: string | undefined;
  #simulcast = false;

  constructor(options: ConferenceClientOptions = {}) {
    super();
    this.#options = options;
    this.#transport = new Transport(options);
  }

  get state(): ConnectionState {
    return this.#state;
  }
  /** Your display name as the server knows it (a join token's name wins), once joined. */
  get name(): string | undefined {
    return this.#name;
  }
  /** What you may do (publish, subscribe, moderate), once joined. */
  get grants(): Grants | undefined {
    return this.#grants;
  }
  /** Whether the camera is sent as simulcast (offered at join and accepted by the server). */
  get simulcast(): boolean {
    return this.#simulcast;
  }
  /** Your participant id once joined. */
  get participantId(): string | undefined {
    return this.#participantId;
  }
  get roomId(): string | undefined {
    return this.#roomId;
  }
  /** The underlying RTCPeerConnection (for stats and diagnostics). */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#pc;
  }
  /** Everyone else in the room. */
  get participants(): ParticipantInfo[] {
    return [...this.#participants.values()];
  }
  /** The remote streams currently shown (`streamAdded` emitted, `streamRemoved` not yet). */
  get remoteStreams(): RemoteStream[] {
    return [...this.#remote.values()].flatMap((r) => (r.announced ? [r.announced] : []));
  }

  /** Checks that the server answers GraphQL; rejects with ConferenceError NETWORK_ERROR if not. */
  async connect(): Promise<void> {
    await this.#transport.request(PingDocument, {});
  }

  /**
   * Joins `roomId` as `name`, sending the tracks of `localStream` (null: receive only).
   * On a secured server, `options.token` is the join token the application minted for this person
   * (its name then wins over `name`). `options.simulcast`: see JoinOptions (default `'auto'`).
   * Rejects with ConferenceError (ROOM_FULL, ROOM_CLOSED, ROOM_NOT_FOUND, FORBIDDEN, BANNED,
   * TOKEN_EXPIRED, NETWORK_ERROR, ...).
   */
  async join(
    roomId: string,
    name: string,
    localStream: MediaStream | null,
    options: JoinOptions = {},
  ): Promise<void> {
    if (this.#state !== 'idle') throw new Error('join() may be called once per ConferenceClient');
    this.#setState('joining');
    if (options.token) this.#transport.token = options.token;
    this.#roomId = roomId;
    this.#localStream = localStream;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', ...this.#options.rtcConfiguration });
    this.#pc = pc;
    try {
      const camera = localStream?.getVideoTracks()[0];
      const layers = camera ? await this.#layersWanted(roomId, options.simulcast ?? 'auto') : 'none';
      const simulcast = layers === 'simulcast';
      const kinds = new Set<string>();
      for (const track of localStream?.getTracks() ?? []) {
        this.#publishedIds.set(track, track.id);
        this.#published.set(
          track,
          pc.addTransceiver(track, {
            direction: 'sendonly',
            streams: [localStream!],
            ...(track === camera && layers !== 'none'
              ? { sendEncodings: simulcast ? SIMULCAST_ENCODINGS : SVC_ENCODINGS }
              : {}),
          }),
        );
        kinds.add(track.kind);
      }
      for (const kind of ['audio', 'video'])
        if (!kinds.has(kind)) pc.addTransceiver(kind, { direction: 'recvonly' });
      pc.addEventListener('track', (event) => this.#onTrack(event));
      pc.addEventListener('connectionstatechange', () => this.#updateState());

      const peer = new RtcNegotiationPeer(pc, this.#options.iceGatheringTimeoutMs);
      await pc.setLocalDescription(await pc.createOffer());
      const offer = await peer.gatheredLocalSdp();
      const { join } = await this.#transport.request(JoinDocument, {
        input: { roomId, name: name.trim() ? name : null, offer },
      });
      this.#transport.token = join.token;
      this.#participantId = join.participant.id;
      this.#grants = join.participant.grants;
      this.#name = join.participant.name;
      await pc.setRemoteDescription({ type: 'answer', sdp: join.answer });
      if (simulcast && camera) this.#simulcast = await this.#keepSimulcast(this.#published.get(camera)!);

      const participantId = join.participant.id;
      this.#negotiator = new Negotiator(
        peer,
        {
          answer: async (revision, sdp) => {
            await this.#transport.request(AnswerDocument, { input: { participantId, revision, sdp } });
          },
          renegotiate: async (offer) =>
            (await this.#transport.request(RenegotiateDocument, { input: { participantId, offer } }))
              .renegotiate,
        },
        { onError: (error) => this.#fail(error) },
      );

      this.#socket = this.#transport.createSocket({
        connected: () => {
          const again = this.#socketEverUp;
          this.#socketUp = this.#socketEverUp = true;
          this.#updateState();
          // Events may have been missed while the socket was down: reconcile with the room.
          if (again) this.#scheduleRefresh(0);
        },
        closed: () => {
          this.#socketUp = false;
          this.#updateState();
        },
      });
      this.#unsubscribes.push(
        Transport.subscribe(
          this.#socket,
          NegotiationDocument,
          { participantId },
          {
            next: ({ negotiation }) => void this.#negotiator?.handleServerOffer(negotiation),
            error: (error) => this.#signalingLost(error),
          },
        ),
        Transport.subscribe(
          this.#socket,
          RoomEventsDocument,
          { roomId },
          {
            next: ({ roomEvents }) => this.#onRoomEvent(roomEvents),
            error: (error) => this.#fail(error),
          },
        ),
      );
      await this.#refresh();
    } catch (error) {
      this.#close();
      throw error instanceof ConferenceError
        ? error
        : new ConferenceError('INTERNAL_SERVER_ERROR', String(error), error);
    }
  }

  /**
   * Sends a local track (e.g. a screen share from getDisplayMedia) as part of `stream` (default: a
   * new stream of its own, which the others see as a separate tile). Returns the stream id.
   * `options.simulcast` sends a video track as three encodings, as join does for the camera (for a
   * camera turned on later, in a room that takes simulcast; the server's answer has the last word).
   */
  async publishTrack(
    track: MediaStreamTrack,
    stream: MediaStream = new MediaStream([track]),
    options: { simulcast?: boolean } = {},
  ): Promise<string> {
    const pc = this.#requirePc();
    if (this.#published.has(track)) return stream.id;
    const simulcast = !!options.simulcast && track.kind === 'video';
    const transceiver = pc.addTransceiver(track, {
      direction: 'sendonly',
      streams: [stream],
      ...(simulcast ? { sendEncodings: SIMULCAST_ENCODINGS } : {}),
    });
    this.#published.set(track, transceiver);
    this.#publishedIds.set(track, track.id);
    await this.#negotiator!.renegotiate();
    if (simulcast) await this.#keepSimulcast(transceiver);
    return stream.id;
  }

  /**
   * Mutes or unmutes one of your own tracks: it stops or resumes sending (track.enabled) and tells the
   * others (they get `trackMuted`, and Track.muted in the API).
   */
  async setTrackMuted(track: MediaStreamTrack, muted: boolean): Promise<void> {
    track.enabled = !muted;
    const participantId = this.#participantId;
    if (!participantId || this.#state === 'closed') return;
    await this.#transport.request(SetTrackMutedDocument, {
      input: { participantId, trackId: this.#publishedIds.get(track) ?? track.id, muted },
    });
  }

  /**
   * Sends `next` instead of `current` (another camera or microphone) without renegotiating: the
   * room keeps knowing it by the first track's id, and its mute state carries over.
   */
  async replaceTrack(current: MediaStreamTrack, next: MediaStreamTrack): Promise<void> {
    const transceiver = this.#published.get(current);
    if (!transceiver) throw new Error('replaceTrack: that track is not published');
    next.enabled = current.enabled;
    await transceiver.sender.replaceTrack(next);
    this.#published.delete(current);
    this.#published.set(next, transceiver);
    this.#publishedIds.set(next, this.#publishedIds.get(current) ?? current.id);
    this.#publishedIds.delete(current);
    if (this.#localStream?.getTracks().includes(current)) {
      this.#localStream.removeTrack(current);
      this.#localStream.addTrack(next);
    }
  }

  /** Whether another participant's track (a remote MediaStreamTrack id) is muted now. */
  isTrackMuted(trackId: string): boolean {
    return this.#mutedTracks.has(trackId);
  }

  /**
   * Chooses the layer of `streamId`'s video the server forwards to you (a RemoteStream.id). With
   * simulcast, `spatial` indexes the publisher's encodings, lowest resolution first (0: smallest);
   * with VP9 SVC it is the spatial layer; `temporal` caps the temporal layer (frame rate). `null, null`
   * lets the server choose by your bandwidth again (the default). The server keeps it for that stream.
   * Rejects with STREAM_NOT_FOUND for a stream you do not receive.
   */
  async setPreferredLayer(
    streamId: string,
    spatial: number | null,
    temporal: number | null = null,
  ): Promise<void> {
    const participantId = this.#participantId;
    if (!participantId || this.#state === 'closed') throw new Error('not in a room');
    await this.#transport.request(SetPreferredLayerDocument, {
      input: { participantId, streamId, spatial, temporal },
    });
  }

  /**
   * Moderation (needs the roomAdmin grant, or an open server): removes someone from the room; with
   * `ban`, its identity cannot come back with a token issued before now.
   */
  async kickParticipant(participantId: string, ban = false): Promise<void> {
    await this.#transport.request(KickParticipantDocument, { participantId, ban });
  }

  /**
   * Stored call quality of someone in the room (you included), oldest first: bitrate both ways,
   * loss, RTT and jitter per sampling interval (the server's QUALITY_SAMPLE_INTERVAL_MS).
   */
  async qualityHistory(participantId: string, last = 60): Promise<QualitySample[]> {
    const roomId = this.#roomId;
    if (!roomId) return [];
    const { room } = await this.#transport.request(QualityHistoryDocument, { roomId, last });
    return room.participants.find((participant) => participant.id === participantId)?.qualityHistory ?? [];
  }

  /** The latest `last` quality samples of everyone in the room (you included), by participant id. */
  async qualityHistories(last = 1): Promise<Map<string, QualitySample[]>> {
    const roomId = this.#roomId;
    if (!roomId) return new Map();
    const { room } = await this.#transport.request(QualityHistoryDocument, { roomId, last });
    return new Map(room.participants.map((participant) => [participant.id, participant.qualityHistory]));
  }

  /** Moderation: mutes someone else's track (the server stops forwarding it; they may unmute). */
  async muteTrack(trackId: string): Promise<void> {
    await this.#transport.request(MuteTrackDocument, { trackId, roomId: this.#roomId ?? null });
  }

  /** Stops sending a track published at join or with publishTrack (the track itself is not stopped). */
  async unpublishTrack(track: MediaStreamTrack): Promise<void> {
    const pc = this.#requirePc();
    const transceiver = this.#published.get(track);
    if (!transceiver) return;
    this.#published.delete(track);
    this.#publishedIds.delete(track);
    pc.removeTrack(transceiver.sender);
    await this.#negotiator!.renegotiate();
  }

  /** Leaves the room (best effort if the server is unreachable) and releases everything. */
  async leave(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'idle') return;
    const participantId = this.#participantId;
    if (participantId) await this.#transport.request(LeaveDocument, { participantId }).catch(() => undefined);
    this.#close('LEFT');
  }

  /**
   * Closes the signalling socket abruptly, as a network drop would (for tests and diagnostics):
   * the client reconnects, re-subscribes and catches up by itself.
   */
  dropSocket(): void {
    this.#socket?.terminate();
  }

  /** `getStats()` of the peer connection. */
  getStats(): Promise<RTCStatsReport> {
    return this.#requirePc().getStats();
  }

  /**
   * How the camera is sent. `'auto'`: simulcast in VP8 rooms that allow it, SVC in VP9 ones, else one
   * plain encoding; an unknown room gets the server's defaults (VP8, simulcast).
   */
  async #layersWanted(roomId: string, wanted: boolean | 'auto'): Promise<'simulcast' | 'svc' | 'none'> {
    if (wanted !== 'auto') return wanted ? 'simulcast' : 'none';
    try {
      const { room } = await this.#transport.request(RoomSettingsDocument, { id: roomId });
      if (!room.simulcast) return 'none';
      return room.videoCodec === 'VP8' ? 'simulcast' : room.videoCodec === 'VP9' ? 'svc' : 'none';
    } catch (error) {
      // Joining creates it with the server's defaults; the answer has the last word anyway.
      return errorCode(error) === 'ROOM_NOT_FOUND' ? 'simulcast' : 'none';
    }
  }

  /**
   * After the answer: whether the server took the simulcast offer. If it turned it down, the browser
   * keeps only the first encoding (quarter resolution): send that one at full resolution instead.
   */
  async #keepSimulcast(transceiver: RTCRtpTransceiver): Promise<boolean> {
    const parameters = transceiver.sender.getParameters();
    if (parameters.encodings.length > 1) return true;
    const [encoding] = parameters.encodings;
    if (encoding && (encoding.scaleResolutionDownBy ?? 1) !== 1) {
      encoding.scaleResolutionDownBy = 1;
      await transceiver.sender.setParameters(parameters).catch(() => undefined);
    }
    return false;
  }

  #requirePc(): RTCPeerConnection {
    if (!this.#pc || !this.#negotiator || this.#state === 'closed') throw new Error('not in a room');
    return this.#pc;
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.emit('connectionState', state, previous);
  }

  #updateState(): void {
    if (this.#state === 'closed' || this.#state === 'idle' || !this.#pc) return;
    const media = this.#pc.connectionState;
    if (media === 'failed') {
      this.#setState('failed');
      this.emit('error', new ConferenceError('MEDIA_FAILED', 'The media connection failed.'));
    } else if (media === 'connected' && this.#socketUp) this.#setState('connected');
    else if (media === 'disconnected' || (this.#socketEverUp && !this.#socketUp))
      this.#setState('reconnecting');
  }

  #fail(error: unknown): void {
    const wrapped =
      error instanceof ConferenceError
        ? error
        : new ConferenceError('INTERNAL_SERVER_ERROR', String(error), error);
    this.emit('error', wrapped);
  }

  /** The negotiation subscription was refused: the server no longer knows us (timeout, removal). */
  #signalingLost(error: ConferenceError): void {
    this.emit('error', error);
    this.#close(error.code === 'ROOM_CLOSED' ? 'ROOM_CLOSED' : 'SIGNALING_LOST');
  }

  #close(reason?: string): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#refreshTimer);
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.#negotiator?.close();
    void this.#socket?.dispose();
    this.#pc?.close();
    for (const remote of this.#remote.values())
      if (remote.announced) this.emit('streamRemoved', remote.announced);
    this.#remote.clear();
    this.#setState('closed');
    if (reason) this.emit('left', reason);
  }

  #onTrack(event: RTCTrackEvent): void {
    const stream = event.streams[0] ?? new MediaStream([event.track]);
    let remote = this.#remote.get(stream.id);
    if (!remote || remote.stream !== stream) {
      remote = { stream, announced: null };
      this.#remote.set(stream.id, remote);
      stream.addEventListener('removetrack', () => {
        if (stream.getTracks().length === 0) this.#removeStream(stream.id);
      });
    }
    this.#announce(stream.id);
  }

  #announce(streamId: string): void {
    const remote = this.#remote.get(streamId);
    if (!remote || remote.announced) return;
    const owner = this.#participants.get(this.#streamOwner.get(streamId) ?? '');
    if (!owner) {
      this.#scheduleRefresh(200); // the room will tell us whose stream it is
      return;
    }
    remote.announced = { id: streamId, stream: remote.stream, participant: owner };
    this.emit('streamAdded', remote.announced);
  }

  #removeStream(streamId: string): void {
    const remote = this.#remote.get(streamId);
    if (!remote) return;
    this.#remote.delete(streamId);
    if (remote.announced) this.emit('streamRemoved', remote.announced);
  }

  #addParticipant(id: string, name: string): void {
    if (id === this.#participantId || this.#participants.has(id)) return;
    const participant = { id, name };
    this.#participants.set(id, participant);
    this.emit('participantJoined', participant);
  }

  #removeParticipant(id: string, reason: string | null): void {
    const participant = this.#participants.get(id);
    if (!participant) return;
    for (const [streamId, owner] of this.#streamOwner) {
      if (owner !== id) continue;
      this.#streamOwner.delete(streamId);
      this.#removeStream(streamId);
    }
    this.#participants.delete(id);
    this.emit('participantLeft', participant, reason);
  }

  #onRoomEvent(event: RoomEvent): void {
    const { participantId, streamId } = event;
    switch (event.type) {
      case 'PARTICIPANT_JOINED':
        if (participantId) this.#addParticipant(participantId, event.participantName ?? participantId);
        break;
      case 'PARTICIPANT_LEFT':
        if (participantId === this.#participantId) this.#close(event.reason ?? 'REMOVED');
        else if (participantId) this.#removeParticipant(participantId, event.reason ?? null);
        break;
      case 'STREAM_PUBLISHED':
        if (participantId && streamId && participantId !== this.#participantId) {
          if (!this.#participants.has(participantId)) {
            this.#addParticipant(participantId, event.participantName ?? participantId);
          }
          this.#streamOwner.set(streamId, participantId);
          this.#announce(streamId);
        }
        break;
      case 'STREAM_UNPUBLISHED':
        if (streamId) {
          this.#streamOwner.delete(streamId);
          this.#removeStream(streamId);
        }
        break;
      case 'ACTIVE_SPEAKER_CHANGED':
        if (participantId === this.#participantId) this.emit('activeSpeaker', null);
        else if (participantId && this.#participants.has(participantId)) {
          this.emit('activeSpeaker', this.#participants.get(participantId)!);
        }
        break;
      case 'TRACK_MUTED':
      case 'TRACK_UNMUTED': {
        if (
          participantId === this.#participantId &&
          event.type === 'TRACK_MUTED' &&
          event.reason === 'MODERATOR'
        ) {
          // The server no longer forwards it; stop sending too, and let the page show it.
          const track = [...this.#publishedIds].find(([, id]) => id === event.trackId)?.[0];
          if (track) {
            track.enabled = false;
            this.emit('mutedByModerator', track);
          }
          break;
        }
        const participant = participantId ? this.#participants.get(participantId) : undefined;
        if (event.trackId && participantId !== this.#participantId) {
          if (event.type === 'TRACK_MUTED') this.#mutedTracks.add(event.trackId);
          else this.#mutedTracks.delete(event.trackId);
        }
        if (participant && streamId && event.trackId) {
          this.emit('trackMuted', {
            participant,
            streamId,
            trackId: event.trackId,
            muted: event.type === 'TRACK_MUTED',
          });
        }
        break;
      }
      case 'ROOM_CLOSED':
        this.#close('ROOM_CLOSED');
        break;
    }
  }

  #scheduleRefresh(delayMs: number): void {
    if (this.#refreshTimer !== undefined || this.#state === 'closed') return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      this.#refresh().catch((error) => this.#fail(error));
    }, delayMs);
  }

  /** Reconciles participants and stream owners with `room(id)`. */
  async #refresh(): Promise<void> {
    if (!this.#roomId) return;
    const { room } = await this.#transport.request(RoomDocument, { id: this.#roomId });
    if (this.#state === 'closed') return;
    this.#applySnapshot(room);
  }

  #applySnapshot(room: RoomSnapshot): void {
    if (!room.open) {
      this.#close('ROOM_CLOSED');
      return;
    }
    const present = new Set(room.participants.map((p) => p.id));
    for (const id of [...this.#participants.keys()]) if (!present.has(id)) this.#removeParticipant(id, null);
    for (const participant of room.participants) {
      if (participant.id === this.#participantId) continue;
      this.#addParticipant(participant.id, participant.name);
      const info = this.#participants.get(participant.id)!;
      for (const stream of participant.streams) {
        this.#streamOwner.set(stream.id, participant.id);
        // Mutes made before we arrived (or while the socket was down) come with the room.
        for (const track of stream.tracks) {
          if (track.muted === this.#mutedTracks.has(track.id)) continue;
          if (track.muted) this.#mutedTracks.add(track.id);
          else this.#mutedTracks.delete(track.id);
          this.emit('trackMuted', {
            participant: info,
            streamId: stream.id,
            trackId: track.id,
            muted: track.muted,
          });
        }
      }
    }
    for (const streamId of this.#remote.keys()) this.#announce(streamId);
  }

  /** The local stream given to join(). */
  get localStream(): MediaStream | null {
    return this.#localStream;
  }
}
