import type { Client } from 'graphql-ws';
import { ChatLog } from './ChatLog';
import { Emitter } from './emitter';
import { ConferenceError } from './errors';
import { Negotiator } from './Negotiator';
import {
  AnswerDocument,
  CloseRoomDocument,
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
  RoomMessagesDocument,
  SendMessageDocument,
  SetAttributesDocument,
  SetPreferredLayerDocument,
  SetTrackMutedDocument,
} from './operations';
import { Publisher } from './Publisher';
import { type RoomEvent, type RoomSnapshot, RoomState } from './RoomState';
import { layersFor, readRoomBeforeJoin } from './roomBeforeJoin';
import { RtcNegotiationPeer } from './RtcNegotiationPeer';
import { Transport } from './transport';
import type {
  ChatMessage,
  ConferenceClientOptions,
  ConferenceEvents,
  ConnectionState,
  Grants,
  JoinOptions,
  ParticipantInfo,
  QualitySample,
  RemoteStream,
} from './types';

export type {
  AttributesChange,
  ChatMessage,
  ConferenceClientOptions,
  ConferenceEvents,
  ConnectionState,
  Grants,
  JoinOptions,
  ParticipantInfo,
  QualitySample,
  RemoteStream,
} from './types';
export { RtcNegotiationPeer } from './RtcNegotiationPeer';

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
  #restartingIce: Promise<void> | undefined;
  #socket: Client | undefined;
  #socketUp = false;
  #socketEverUp = false;
  #unsubscribes: Array<() => void> = [];
  #participantId: string | undefined;
  #roomId: string | undefined;
  #localStream: MediaStream | null = null;
  /** Your tracks as sent. */
  readonly #publisher = new Publisher();
  /** Everyone else and their streams. */
  readonly #room = new RoomState(
    <K extends keyof ConferenceEvents>(event: K, ...args: ConferenceEvents[K]) => this.emit(event, ...args),
    () => this.#scheduleRefresh(200),
  );
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #grants: Grants | undefined;
  #name: string | undefined;
  #simulcast = false;
  /** Chat messages received (history and live), oldest first, each id once. */
  readonly #chat = new ChatLog(
    <K extends keyof ConferenceEvents>(event: K, ...args: ConferenceEvents[K]) => this.emit(event, ...args),
    async (after) =>
      (await this.#transport.request(RoomMessagesDocument, { id: this.#roomId ?? '', first: 100, after }))
        .room.messages,
    () => this.#state === 'closed',
  );

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
    return this.#room.participants;
  }
  /** The remote streams currently shown (`streamAdded` emitted, `streamRemoved` not yet). */
  get remoteStreams(): RemoteStream[] {
    return this.#room.remoteStreams;
  }

  /** The chat messages you may read (history from join on, then live ones), oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#chat.messages;
  }
  /** Your own attributes (setAttributes), as the room last said. */
  get attributes(): Readonly<Record<string, unknown>> {
    return this.#room.selfAttributes;
  }

  /**
   * Sends a chat message to everyone, or privately to `options.to` (participant ids: only they and
   * you get it). Resolves with the message (also delivered as a `message` event, once). Rejects with
   * ConferenceError BAD_USER_INPUT (empty, over 4000 characters), RATE_LIMITED, ...
   */
  async sendMessage(text: string, options: { to?: string[] } = {}): Promise<ChatMessage> {
    const participantId = this.#requireJoined();
    const to = options.to && options.to.length > 0 ? options.to : null;
    const { sendMessage } = await this.#transport.request(SendMessageDocument, {
      input: { participantId, text, to },
    });
    this.#chat.add(sendMessage);
    return sendMessage;
  }

  /**
   * Changes some of your attributes, which everyone in the room sees (`attributesChanged`,
   * ParticipantInfo.attributes): `{ handRaised: true }` sets a key, `{ handRaised: null }` removes it,
   * other keys stay. Resolves with the whole new set.
   */
  async setAttributes(patch: Record<string, unknown>): Promise<Readonly<Record<string, unknown>>> {
    const participantId = this.#requireJoined();
    const { setAttributes } = await this.#transport.request(SetAttributesDocument, {
      input: { participantId, attributes: patch },
    });
    this.#room.setAttributes(participantId, setAttributes.attributes);
    return setAttributes.attributes;
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
      const room = await readRoomBeforeJoin(this.#transport, roomId);
      const layers = camera ? layersFor(room, options.simulcast ?? 'auto') : 'none';
      const simulcast = layers === 'simulcast';
      // A receive-only pair per stream there: the join answer carries them, no server offer needed.
      const videoCodec = typeof room.settings === 'object' ? room.settings?.videoCodec : undefined;
      this.#publisher.addLocalStream(pc, localStream, camera, layers, room.streams, videoCodec);
      pc.addEventListener('track', (event) => this.#room.onTrack(event, pc.remoteDescription?.sdp));
      pc.addEventListener('connectionstatechange', () => this.#updateState());
      // The media path broke (network change, NAT rebinding): restart ICE on the same connection.
      pc.addEventListener('iceconnectionstatechange', () => {
        if (pc.iceConnectionState === 'disconnected' || pc.iceConnectionState === 'failed')
          void this.restartIce().catch((error: unknown) => this.#fail(error));
      });

      const peer = new RtcNegotiationPeer(pc, this.#options.iceGatheringTimeoutMs);
      await pc.setLocalDescription(await pc.createOffer());
      const offer = await peer.gatheredLocalSdp();
      const { join } = await this.#transport.request(JoinDocument, {
        input: { roomId, name: name.trim() ? name : null, offer },
      });
      this.#transport.token = join.token;
      this.#participantId = join.participant.id;
      this.#room.selfId = join.participant.id;
      this.#grants = join.participant.grants;
      this.#name = join.participant.name;
      await pc.setRemoteDescription({ type: 'answer', sdp: join.answer });
      if (simulcast && camera)
        this.#simulcast = await Publisher.keepSimulcast(this.#publisher.transceiver(camera)!);

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
          if (again) {
            this.#scheduleRefresh(0);
            void this.#chat.load().catch((error: unknown) => this.#fail(error));
          }
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
      await this.#chat.load();
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
    if (this.#publisher.has(track)) return stream.id;
    const simulcast = !!options.simulcast && track.kind === 'video';
    const transceiver = this.#publisher.add(pc, track, stream, simulcast);
    await this.#negotiator!.renegotiate();
    if (simulcast) await Publisher.keepSimulcast(transceiver);
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
      input: { participantId, trackId: this.#publisher.idOf(track), muted },
    });
  }

  /**
   * Sends `next` instead of `current` (another camera or microphone) without renegotiating: the
   * room keeps knowing it by the first track's id, and its mute state carries over.
   */
  async replaceTrack(current: MediaStreamTrack, next: MediaStreamTrack): Promise<void> {
    await this.#publisher.replace(current, next, this.#localStream);
  }

  /** Whether another participant's track (a remote MediaStreamTrack id) is muted now. */
  isTrackMuted(trackId: string): boolean {
    return this.#room.isTrackMuted(trackId);
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

  /** Moderation: ends the meeting for everyone (closeRoom; the roomAdmin grant). Everyone gets `left` ROOM_CLOSED. */
  async closeRoom(): Promise<void> {
    if (!this.#roomId) throw new Error('not in a room');
    await this.#transport.request(CloseRoomDocument, { id: this.#roomId });
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
    await this.#transport.request(MuteTrackDocument, {
      trackId: this.#room.roomTrackId(trackId),
      roomId: this.#roomId ?? null,
    });
  }

  /** Stops sending a track published at join or with publishTrack (the track itself is not stopped). */
  async unpublishTrack(track: MediaStreamTrack): Promise<void> {
    const pc = this.#requirePc();
    if (!this.#publisher.remove(pc, track)) return;
    await this.#negotiator!.renegotiate();
  }

  /**
   * Restarts ICE on the same peer connection (new ICE credentials offered through `renegotiate`):
   * the participant keeps its id, streams and subscriptions; media resumes on the new path. Called by
   * itself when the ICE connection goes `disconnected` or `failed`; one restart at a time.
   */
  async restartIce(): Promise<void> {
    const pc = this.#requirePc();
    if (this.#restartingIce) return this.#restartingIce;
    this.#restartingIce = (async () => {
      pc.restartIce();
      await this.#negotiator!.renegotiate();
    })().finally(() => (this.#restartingIce = undefined));
    return this.#restartingIce;
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

  #requireJoined(): string {
    if (!this.#participantId || this.#state === 'closed') throw new Error('not in a room');
    return this.#participantId;
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
    this.#room.clear();
    this.#setState('closed');
    if (reason) this.emit('left', reason);
  }

  /** Events about you and the room itself are handled here; the rest changes the room state. */
  #onRoomEvent(event: RoomEvent): void {
    const self = !!event.participantId && event.participantId === this.#participantId;
    if (event.type === 'ROOM_CLOSED') return this.#close('ROOM_CLOSED');
    if (event.type === 'MESSAGE') {
      if (event.message) this.#chat.add(event.message);
      return;
    }
    if (event.type === 'PARTICIPANT_LEFT' && self) return this.#close(event.reason ?? 'REMOVED');
    if (event.type === 'TRACK_MUTED' && self && event.reason === 'MODERATOR') {
      // The server no longer forwards it; stop sending too, and let the page show it.
      const track = event.trackId ? this.#publisher.trackWithId(event.trackId) : undefined;
      if (track) {
        track.enabled = false;
        this.emit('mutedByModerator', track);
      }
      return;
    }
    this.#room.apply(event);
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
    this.#room.applySnapshot(room);
  }

  /** The local stream given to join(). */
  get localStream(): MediaStream | null {
    return this.#localStream;
  }
}
