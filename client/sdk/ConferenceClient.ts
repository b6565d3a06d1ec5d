import { ChatLog } from './ChatLog';
import { Emitter } from './emitter';
import { ConnectionStatus } from './ConnectionStatus';
import { asConferenceError, ConferenceError, movedTo } from './errors';
import { JoinSession } from './JoinSession';
import { PingDocument } from './operations';
import type { PeerLink } from './PeerLink';
import { Publisher } from './Publisher';
import { RecordingStatus } from './RecordingStatus';
import { RoomRequests } from './RoomRequests';
import { RoomState } from './RoomState';
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
  Recording,
  RecordingInfo,
  RemoteStream,
} from './types';

export type * from './types';
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
  readonly #emit = <K extends keyof ConferenceEvents>(event: K, ...args: ConferenceEvents[K]) =>
    this.emit(event, ...args);
  readonly #status = new ConnectionStatus(this.#emit);
  /** The peer connection, the room's events and the signalling socket, from join on. */
  #session: JoinSession | undefined;
  #roomId: string | undefined;
  #localStream: MediaStream | null = null;
  /** The room's requests besides joining (chat, mutes, moderation, quality...). */
  readonly #requests: RoomRequests;
  /** Your tracks as sent. */
  readonly #publisher = new Publisher();
  /** Everyone else and their streams. */
  readonly #room = new RoomState(this.#emit, () => this.#session?.sync.schedule(200));
  /** Chat messages received (history and live), oldest first, each id once. */
  readonly #chat = new ChatLog(
    this.#emit,
    (after) => this.#requests.messages(after),
    () => this.#status.closed,
  );

  /** Whether the room is being recorded (the room's snapshot at join, then events). */
  readonly #recording = new RecordingStatus((event, recording) => this.emit(event, recording));

  constructor(options: ConferenceClientOptions = {}) {
    super();
    this.#options = options;
    this.#transport = new Transport(options);
    this.#requests = new RoomRequests(this.#transport, () => this.#roomId);
  }

  get state(): ConnectionState {
    return this.#status.state;
  }
  /** Your display name as the server knows it (a join token's name wins), once joined. */
  get name(): string | undefined {
    return this.#session?.name;
  }
  /** What you may do (publish, subscribe, moderate), once joined. */
  get grants(): Grants | undefined {
    return this.#session?.grants;
  }
  /** Whether the camera is sent as simulcast (offered at join and accepted by the server). */
  get simulcast(): boolean {
    return this.#session?.simulcast ?? false;
  }
  /** Your participant id once joined. */
  get participantId(): string | undefined {
    return this.#session?.participantId;
  }
  get roomId(): string | undefined {
    return this.#roomId;
  }
  /** The underlying RTCPeerConnection (for stats and diagnostics). */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#session?.link.pc;
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
    const message = await this.#requests.sendMessage(this.#requireJoined(), text, options.to);
    this.#chat.add(message);
    return message;
  }

  /**
   * Changes some of your attributes, which everyone in the room sees (`attributesChanged`,
   * ParticipantInfo.attributes): `{ handRaised: true }` sets a key, `{ handRaised: null }` removes it,
   * other keys stay. Resolves with the whole new set.
   */
  async setAttributes(patch: Record<string, unknown>): Promise<Readonly<Record<string, unknown>>> {
    const participantId = this.#requireJoined();
    const attributes = await this.#requests.setAttributes(participantId, patch);
    this.#room.setAttributes(participantId, attributes);
    return attributes;
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
    if (this.#status.state !== 'idle') throw new Error('join() may be called once per ConferenceClient');
    this.#status.set('joining');
    if (options.token) this.#transport.token = options.token;
    this.#roomId = roomId;
    this.#localStream = localStream;
    const session = new JoinSession(
      this.#options,
      roomId,
      {
        transport: this.#transport,
        requests: this.#requests,
        publisher: this.#publisher,
        room: this.#room,
        chat: this.#chat,
        recording: this.#recording,
        status: this.#status,
        emit: this.#emit,
      },
      {
        restartIce: () => this.restartIce(),
        close: (reason) => this.#close(reason),
        signalingLost: (error) => this.#signalingLost(error),
      },
    );
    this.#session = session;
    try {
      await session.join(name, localStream, options);
    } catch (error) {
      this.#close();
      throw asConferenceError(error);
    }
    // Lost while joining (its node stopped between the answer and the end of the join): `left` was
    // emitted before the caller had this client in hand, so join says it too.
    const lost = this.#leftWith;
    if (lost && lost !== 'LEFT') {
      throw new ConferenceError(
        lost,
        `The connection to the room was lost while joining (${lost}).`,
        this.movedTo ? { movedTo: this.movedTo } : undefined,
      );
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
    const link = this.#requireLink();
    if (this.#publisher.has(track)) return stream.id;
    const simulcast = !!options.simulcast && track.kind === 'video';
    const transceiver = this.#publisher.add(link.pc, track, stream, simulcast);
    await link.renegotiate();
    if (simulcast) await Publisher.keepSimulcast(transceiver);
    return stream.id;
  }

  /**
   * Mutes or unmutes one of your own tracks: it stops or resumes sending (track.enabled) and tells the
   * others (they get `trackMuted`, and Track.muted in the API).
   */
  async setTrackMuted(track: MediaStreamTrack, muted: boolean): Promise<void> {
    track.enabled = !muted;
    const participantId = this.#session?.participantId;
    if (!participantId || this.#status.closed) return;
    await this.#requests.setTrackMuted(participantId, this.#publisher.idOf(track), muted);
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
    await this.#requests.setPreferredLayer(this.#requireJoined(), streamId, spatial, temporal);
  }

  /**
   * Moderation (needs the roomAdmin grant, or an open server): removes someone from the room; with
   * `ban`, its identity cannot come back with a token issued before now.
   */
  async kickParticipant(participantId: string, ban = false): Promise<void> {
    await this.#requests.kick(participantId, ban);
  }

  /**
   * Stored call quality of someone in the room (you included), oldest first: bitrate both ways,
   * loss, RTT and jitter per sampling interval (the server's QUALITY_SAMPLE_INTERVAL_MS).
   */
  async qualityHistory(participantId: string, last = 60): Promise<QualitySample[]> {
    return (await this.qualityHistories(last)).get(participantId) ?? [];
  }

  /** The recording running in the room, or null: people must know when they are recorded. */
  get recording(): RecordingInfo | null {
    return this.#recording.current;
  }

  /** Moderation: starts recording the room (RECORDING_IN_PROGRESS when one runs). */
  async startRecording(): Promise<Recording> {
    return this.#requests.startRecording();
  }

  /** Moderation: stops the running recording (or the one named) and returns it with its files. */
  async stopRecording(id = this.#recording.current?.id): Promise<Recording> {
    if (!id) throw new ConferenceError('RECORDING_NOT_FOUND', 'The room is not being recorded.');
    return this.#requests.stopRecording(id);
  }

  /** The room's recordings with their files, oldest first. */
  async recordings(): Promise<Recording[]> {
    return this.#requests.recordings();
  }

  /** Moderation: ends the meeting for everyone (closeRoom; the roomAdmin grant). Everyone gets `left` ROOM_CLOSED. */
  async closeRoom(): Promise<void> {
    await this.#requests.closeRoom();
  }

  /** The latest `last` quality samples of everyone in the room (you included), by participant id. */
  async qualityHistories(last = 1): Promise<Map<string, QualitySample[]>> {
    return this.#requests.qualityHistories(last);
  }

  /** Moderation: mutes someone else's track (the server stops forwarding it; they may unmute). */
  async muteTrack(trackId: string): Promise<void> {
    await this.#requests.muteTrack(this.#room.roomTrackId(trackId));
  }

  /** Stops sending a track published at join or with publishTrack (the track itself is not stopped). */
  async unpublishTrack(track: MediaStreamTrack): Promise<void> {
    const link = this.#requireLink();
    if (!this.#publisher.remove(link.pc, track)) return;
    await link.renegotiate();
  }

  /**
   * Restarts ICE on the same peer connection (new ICE credentials offered through `renegotiate`):
   * the participant keeps its id, streams and subscriptions; media resumes on the new path. Called by
   * itself when the ICE connection goes `disconnected` or `failed`; one restart at a time.
   */
  async restartIce(): Promise<void> {
    return this.#requireLink().restartIce();
  }

  /** Leaves the room (best effort if the server is unreachable) and releases everything. */
  async leave(): Promise<void> {
    if (this.#status.closed || this.#status.state === 'idle') return;
    const participantId = this.#session?.participantId;
    if (participantId) await this.#requests.leave(participantId);
    this.#close('LEFT');
  }

  /**
   * Closes the signalling socket abruptly, as a network drop would (for tests and diagnostics):
   * the client reconnects, re-subscribes and catches up by itself.
   */
  dropSocket(): void {
    this.#session?.signaling?.terminate();
  }

  /** `getStats()` of the peer connection. */
  getStats(): Promise<RTCStatsReport> {
    return this.#requireLink().pc.getStats();
  }

  #requireJoined(): string {
    const participantId = this.#session?.participantId;
    if (!participantId || this.#status.closed) throw new Error('not in a room');
    return participantId;
  }

  #requireLink(): PeerLink {
    const link = this.#session?.link;
    if (!link?.negotiating || this.#status.closed) throw new Error('not in a room');
    return link;
  }

  /**
   * The negotiation subscription was refused: the server no longer knows us (timeout, removal), or
   * the room moved to another node (ROOM_MOVED: `movedTo` says where to join again).
   */
  #signalingLost(error: ConferenceError): void {
    this.emit('error', error);
    this.movedTo = movedTo(error);
    this.#close(error.code === 'ROOM_CLOSED' || this.movedTo ? error.code : 'SIGNALING_LOST');
  }

  /** After `left` with ROOM_MOVED: the URL of the node now holding the room (join it there). */
  movedTo: string | null = null;

  /** Why the client left, once it did. */
  #leftWith: string | undefined;

  #close(reason?: string): void {
    if (this.#status.closed) return;
    this.#leftWith = reason;
    this.#session?.close();
    this.#room.clear();
    this.#recording.clear();
    this.#status.set('closed');
    if (reason) this.emit('left', reason);
  }

  /** The local stream given to join(). */
  get localStream(): MediaStream | null {
    return this.#localStream;
  }
}
