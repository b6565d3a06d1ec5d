/**
 * What the client knows of the room: who else is in it, whose each received stream is, which of
 * their tracks are muted. Fed by room events, `room` query snapshots and the peer connection's
 * `track` events; says what changed through `emit` (the ConferenceClient's events). It knows
 * nothing of sockets or negotiation.
 */
import type { RoomEventsSubscription, RoomQuery } from './generated/graphql';
import type { ConferenceEvents, ParticipantInfo, RemoteStream } from './types';

export type RoomEvent = RoomEventsSubscription['roomEvents'];
export type RoomSnapshot = RoomQuery['room'];

/**
 * Tells the client's listeners (RoomState says participantJoined/Left/Reconnecting,
 * streamAdded/Removed, activeSpeaker, trackMuted, attributesChanged).
 */
export type Emit = <K extends keyof ConferenceEvents>(event: K, ...args: ConferenceEvents[K]) => void;

export class RoomState {
  /** Your own participant id (events about you are not someone else's). */
  selfId: string | undefined;
  readonly #participants = new Map<string, ParticipantInfo>();
  /** Publisher of each stream id, as far as the room told us. */
  readonly #streamOwner = new Map<string, string>();
  /** Received MediaStreams by id, and whether `streamAdded` was emitted for it. */
  readonly #remote = new Map<string, { stream: MediaStream; announced: RemoteStream | null }>();
  /** Other participants' tracks that are muted now (by the room's track ids). */
  readonly #mutedTracks = new Set<string>();
  /**
   * The room's id of received tracks whose MediaStreamTrack id differs, and back. A track received
   * on a transceiver the client made (a receive-only section of its join offer) keeps the random id
   * the browser gave it then; the room knows it by the publisher's id (the msid of the answer).
   */
  readonly #roomIds = new Map<string, string>();
  readonly #localIds = new Map<string, string>();

  /**
   * `emit`: tells the client's listeners; `askRoom`: a stream arrived whose owner is not known
   * yet, the room should be read again soon.
   */
  constructor(
    private readonly emit: Emit,
    private readonly askRoom: () => void,
  ) {}

  get participants(): ParticipantInfo[] {
    return [...this.#participants.values()];
  }

  participant(id: string): ParticipantInfo | undefined {
    return this.#participants.get(id);
  }

  /** The remote streams currently shown (`streamAdded` emitted, `streamRemoved` not yet). */
  get remoteStreams(): RemoteStream[] {
    return [...this.#remote.values()].flatMap((r) => (r.announced ? [r.announced] : []));
  }

  /** `trackId`: a received MediaStreamTrack's id (or the room's id of the track). */
  isTrackMuted(trackId: string): boolean {
    return this.#mutedTracks.has(this.roomTrackId(trackId));
  }

  /** The room's id of a received track, given its MediaStreamTrack id. */
  roomTrackId(trackId: string): string {
    return this.#roomIds.get(trackId) ?? trackId;
  }

  /** The MediaStreamTrack id of a received track, given the room's id (what the page can look up). */
  #localTrackId(roomTrackId: string): string {
    return this.#localIds.get(roomTrackId) ?? roomTrackId;
  }

  /**
   * A track arrived on the peer connection; `remoteSdp` is the remote description it came with (the
   * room's id of the track is the msid of its media section).
   */
  onTrack(event: RTCTrackEvent, remoteSdp?: string): void {
    const roomId = msidTrackId(remoteSdp, event.transceiver?.mid ?? null);
    if (roomId && roomId !== event.track.id) {
      this.#roomIds.set(event.track.id, roomId);
      this.#localIds.set(roomId, event.track.id);
    }
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

  /** Someone else's event (the client handles those about you and the room itself). */
  apply(event: RoomEvent): void {
    const { participantId, streamId } = event;
    switch (event.type) {
      case 'PARTICIPANT_JOINED':
        if (participantId) this.#addParticipant(participantId, event.participantName ?? participantId);
        break;
      case 'PARTICIPANT_LEFT':
        if (participantId) this.#removeParticipant(participantId, event.reason ?? null);
        break;
      case 'STREAM_PUBLISHED':
        if (participantId && streamId && participantId !== this.selfId) {
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
        if (participantId === this.selfId) this.emit('activeSpeaker', null);
        else if (participantId && this.#participants.has(participantId)) {
          this.emit('activeSpeaker', this.#participants.get(participantId)!);
        }
        break;
      case 'PARTICIPANT_RECONNECTING':
      case 'PARTICIPANT_RECONNECTED':
        if (participantId) this.#setReconnecting(participantId, event.type === 'PARTICIPANT_RECONNECTING');
        break;
      case 'PARTICIPANT_ATTRIBUTES_CHANGED':
        if (participantId && event.attributes) this.setAttributes(participantId, event.attributes);
        break;
      case 'TRACK_MUTED':
      case 'TRACK_UNMUTED': {
        if (!event.trackId || participantId === this.selfId) break;
        const muted = event.type === 'TRACK_MUTED';
        if (muted) this.#mutedTracks.add(event.trackId);
        else this.#mutedTracks.delete(event.trackId);
        const participant = participantId ? this.#participants.get(participantId) : undefined;
        if (participant && streamId)
          this.emit('trackMuted', {
            participant,
            streamId,
            trackId: this.#localTrackId(event.trackId),
            muted,
          });
        break;
      }
    }
  }

  /** Reconciles with `room(id)`: who is there, whose streams, which tracks are muted. */
  applySnapshot(room: RoomSnapshot): void {
    const present = new Set(room.participants.map((p) => p.id));
    for (const id of [...this.#participants.keys()]) if (!present.has(id)) this.#removeParticipant(id, null);
    for (const participant of room.participants) {
      if (participant.id === this.selfId) {
        this.setAttributes(participant.id, participant.attributes);
        continue;
      }
      this.#addParticipant(participant.id, participant.name, participant.attributes);
      this.setAttributes(participant.id, participant.attributes);
      // Missed while the socket was down, or already silent when we arrived.
      this.#setReconnecting(participant.id, participant.reconnecting);
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
            trackId: this.#localTrackId(track.id),
            muted: track.muted,
          });
        }
      }
    }
    for (const streamId of this.#remote.keys()) this.#announce(streamId);
  }

  /** Out of the room: every shown stream is removed. */
  clear(): void {
    for (const remote of this.#remote.values())
      if (remote.announced) this.emit('streamRemoved', remote.announced);
    this.#remote.clear();
  }

  #announce(streamId: string): void {
    const remote = this.#remote.get(streamId);
    if (!remote || remote.announced) return;
    const owner = this.#participants.get(this.#streamOwner.get(streamId) ?? '');
    if (!owner) {
      this.askRoom(); // the room will tell us whose stream it is
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

  /** Your own attributes, as the room last said. */
  selfAttributes: Readonly<Record<string, unknown>> = {};

  /** Someone's whole new set of attributes (yours too); says `attributesChanged` when it differs. */
  setAttributes(id: string, attributes: Readonly<Record<string, unknown>>): void {
    const participant = this.#participants.get(id);
    const before = id === this.selfId ? this.selfAttributes : participant?.attributes;
    if (before === undefined || JSON.stringify(before) === JSON.stringify(attributes)) return;
    if (id === this.selfId) this.selfAttributes = attributes;
    else (participant as { attributes: Readonly<Record<string, unknown>> }).attributes = attributes;
    this.emit('attributesChanged', {
      participantId: id,
      participant: id === this.selfId ? null : participant!,
      attributes,
    });
  }

  #addParticipant(id: string, name: string, attributes: Readonly<Record<string, unknown>> = {}): void {
    if (id === this.selfId || this.#participants.has(id)) return;
    const participant: ParticipantInfo = { id, name, attributes, reconnecting: false };
    this.#participants.set(id, participant);
    this.emit('participantJoined', participant);
  }

  /** Someone else went silent or came back; says `participantReconnecting` when it changes. */
  #setReconnecting(id: string, reconnecting: boolean): void {
    const participant = this.#participants.get(id);
    if (!participant || participant.reconnecting === reconnecting) return;
    (participant as { reconnecting: boolean }).reconnecting = reconnecting;
    this.emit('participantReconnecting', participant, reconnecting);
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
}

/** The track id of the `a=msid` line of media section `mid` of `sdp`, if there is one. */
export function msidTrackId(sdp: string | undefined, mid: string | null): string | undefined {
  if (!sdp || mid === null) return undefined;
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const lines = section.split(/\r?\n/);
    if (!lines.includes(`a=mid:${mid}`)) continue;
    return lines.find((line) => line.startsWith('a=msid:'))?.split(' ')[1];
  }
  return undefined;
}
