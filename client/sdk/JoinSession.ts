/**
 * One join of a room, from `join()` on: the peer connection and its negotiation (PeerLink), the
 * routing of room events (RoomSync), the signalling socket once the join is answered, and who the
 * server says you are. It wires these parts to each other and to the client's parts and events.
 */
import type { ChatLog } from './ChatLog';
import type { ConnectionStatus } from './ConnectionStatus';
import { asConferenceError, type ConferenceError } from './errors';
import { JoinDocument } from './operations';
import { PeerLink } from './PeerLink';
import { Publisher } from './Publisher';
import type { RecordingStatus } from './RecordingStatus';
import type { RoomRequests } from './RoomRequests';
import { layersFor, readRoomBeforeJoin } from './roomBeforeJoin';
import type { RoomState } from './RoomState';
import { RoomSync } from './RoomSync';
import { SignalingSocket } from './SignalingSocket';
import type { Transport } from './transport';
import type { ConferenceClientOptions, ConferenceEvents, Grants, JoinOptions } from './types';

/** The client's parts a join fills in. */
export interface JoinSessionParts {
  transport: Transport;
  requests: RoomRequests;
  publisher: Publisher;
  room: RoomState;
  chat: ChatLog;
  recording: RecordingStatus;
  status: ConnectionStatus;
  /** Emits one of the client's events. */
  emit<K extends keyof ConferenceEvents>(event: K, ...args: ConferenceEvents[K]): void;
}

/** What a join asks of its client. */
export interface JoinSessionHooks {
  /** The ICE connection went `disconnected` or `failed`: restart it (the client's restartIce). */
  restartIce(): Promise<void>;
  /** You are out of the room (`reason`: the server's, ROOM_CLOSED, ...). */
  close(reason: string): void;
  /** The negotiation subscription was refused. */
  signalingLost(error: ConferenceError): void;
}

export class JoinSession {
  /** The peer connection and its negotiation. */
  readonly link: PeerLink;
  /** Routes room events and reads the room again when needed. */
  readonly sync: RoomSync;
  /** The signalling socket and its subscriptions, once join was answered. */
  signaling: SignalingSocket | undefined;
  participantId: string | undefined;
  grants: Grants | undefined;
  name: string | undefined;
  /** Whether the camera is sent as simulcast (offered at join and accepted by the server). */
  simulcast = false;
  /** The socket, from the start of the join (signaling: once joined on it). */
  #socket: SignalingSocket | undefined;

  constructor(
    options: ConferenceClientOptions,
    private readonly roomId: string,
    private readonly parts: JoinSessionParts,
    private readonly hooks: JoinSessionHooks,
  ) {
    const link = new PeerLink(options, {
      track: (event) => parts.room.onTrack(event, link.pc.remoteDescription?.sdp),
      stateChanged: () => this.#updateState(),
      iceBroken: () => void hooks.restartIce().catch((error: unknown) => this.#fail(error)),
      error: (error) => this.#fail(error),
    });
    this.link = link;
    this.sync = new RoomSync(parts.transport, roomId, parts.room, parts.chat, parts.recording, {
      selfId: () => this.participantId,
      closed: () => parts.status.closed,
      close: (reason) => hooks.close(reason),
      mutedByModerator: (trackId) => this.#mutedByModerator(trackId),
      fail: (error) => this.#fail(error),
    });
  }

  /** Joins as `name`, sending the tracks of `localStream`, then follows the room. */
  async join(name: string, localStream: MediaStream | null, options: JoinOptions): Promise<void> {
    const { roomId, link, sync, hooks } = this;
    const { transport, publisher, chat } = this.parts;
    const camera = localStream?.getVideoTracks()[0];
    // The socket first: its handshake overlaps reading the room and making the offer, the join
    // goes over it, and it is up when the answer comes (the server then takes it as this
    // participant's). Over HTTP only when it cannot connect.
    let socket = (this.#socket = new SignalingSocket(transport));
    const room = await readRoomBeforeJoin(transport, roomId);
    const layers = camera ? layersFor(room, options.simulcast ?? 'auto') : 'none';
    const simulcast = layers === 'simulcast';
    // A receive-only pair per stream there: the join answer carries them, no server offer needed.
    const videoCodec = typeof room.settings === 'object' ? room.settings?.videoCodec : undefined;
    publisher.addLocalStream(link.pc, localStream, camera, layers, room.streams, videoCodec);
    const offer = await link.offer();
    const variables = { input: { roomId, name: name.trim() ? name : null, offer } };
    let joined = await socket.request(JoinDocument, variables);
    if (!joined) {
      joined = await transport.request(JoinDocument, variables);
      // It would reconnect with the join's credentials, not the participant's: a new one.
      transport.token = joined.join.token;
      socket.close();
      socket = this.#socket = new SignalingSocket(transport);
    }
    const { join } = joined;
    transport.token = join.token;
    const participantId = join.participant.id;
    this.participantId = participantId;
    this.parts.room.selfId = participantId;
    this.grants = join.participant.grants;
    this.name = join.participant.name;
    await link.accept(
      join.answer,
      this.parts.requests.signaling(participantId, () => this.#socket),
    );
    if (simulcast && camera) this.simulcast = await Publisher.keepSimulcast(publisher.transceiver(camera)!);

    this.signaling = socket;
    socket.follow(participantId, roomId, {
      connected: (again) => {
        this.#updateState();
        // Events may have been missed while the socket was down: reconcile with the room.
        if (again) {
          sync.schedule(0);
          void chat.load().catch((error: unknown) => this.#fail(error));
        }
      },
      closed: () => this.#updateState(),
      serverOffer: (offer) => link.handleServerOffer(offer),
      roomEvent: (event) => sync.onEvent(event),
      negotiationRefused: (error) => hooks.signalingLost(error),
      roomEventsFailed: (error) => this.#fail(error),
    });
    await sync.refresh();
    await chat.load();
  }

  /** Stops following the room and releases the socket and the peer connection. */
  close(): void {
    this.sync.stop();
    this.#socket?.close();
    this.link.close();
  }

  #updateState(): void {
    // Undefined only while the PeerLink is being made.
    if (this.link) this.parts.status.update(this.link.pc.connectionState, this.signaling);
  }

  #fail(error: unknown): void {
    this.parts.emit('error', asConferenceError(error));
  }

  /** The server no longer forwards it; stop sending too, and let the page show it. */
  #mutedByModerator(trackId: string): void {
    const track = this.parts.publisher.trackWithId(trackId);
    if (!track) return;
    track.enabled = false;
    this.parts.emit('mutedByModerator', track);
  }
}
