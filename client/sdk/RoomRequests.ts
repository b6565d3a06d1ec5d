/**
 * The GraphQL requests a participant makes in its room besides joining: chat, attributes, mutes,
 * layer pins, moderation, quality history, leaving, the mutations of a renegotiation, and reading
 * the room's settings to choose how the camera is sent. No state of its own: the room is the
 * client's (none before join).
 */
import type { MessagePage } from './ChatLog';
import type { NegotiationSignaling } from './Negotiator';
import {
  AnswerDocument,
  CloseRoomDocument,
  KickParticipantDocument,
  LeaveDocument,
  MuteTrackDocument,
  QualityHistoryDocument,
  RenegotiateDocument,
  RoomMessagesDocument,
  RoomRecordingsDocument,
  StartRecordingDocument,
  StopRecordingDocument,
  SendMessageDocument,
  SetAttributesDocument,
  SetPreferredLayerDocument,
  SetTrackMutedDocument,
} from './operations';
import { ConferenceError } from './errors';
import type { SignalingSocket } from './SignalingSocket';
import type { Transport } from './transport';
import type { ChatMessage, QualitySample, Recording } from './types';

type Attributes = Readonly<Record<string, unknown>>;

export class RoomRequests {
  constructor(
    private readonly transport: Transport,
    private readonly roomId: () => string | undefined,
  ) {}

  /**
   * `answer` and `renegotiate` for `participantId`'s Negotiator. An answer goes over the signalling
   * socket while it is up (the one the participant joined on: the server runs it with the
   * participant's token), one message instead of an HTTP request: a server offer made for someone
   * who joined is answered a round trip sooner, and that answer is what starts the joiner's video
   * for this participant. Over HTTP when the socket is down, or dropped while it was sent (the
   * answer is safe to send again: an answer already applied is refused as STALE_OFFER or
   * NO_PENDING_OFFER, which the Negotiator ignores).
   */
  signaling(
    participantId: string,
    socket: () => SignalingSocket | undefined = () => undefined,
  ): NegotiationSignaling {
    return {
      answer: async (revision, sdp) => {
        const variables = { input: { participantId, revision, sdp } };
        const open = socket();
        if (open?.up) {
          try {
            if ((await open.request(AnswerDocument, variables)) !== null) return;
          } catch (error) {
            if (!(error instanceof ConferenceError && error.code === 'NETWORK_ERROR')) throw error;
          }
        }
        await this.transport.request(AnswerDocument, variables);
      },
      renegotiate: async (offer) =>
        (await this.transport.request(RenegotiateDocument, { input: { participantId, offer } })).renegotiate,
    };
  }

  /** A page of the room's chat history after the cursor `after`. */
  async messages(after: string | null): Promise<MessagePage> {
    const id = this.roomId() ?? '';
    return (await this.transport.request(RoomMessagesDocument, { id, first: 100, after })).room.messages;
  }

  async sendMessage(participantId: string, text: string, to: string[] | undefined): Promise<ChatMessage> {
    const input = { participantId, text, to: to && to.length > 0 ? to : null };
    return (await this.transport.request(SendMessageDocument, { input })).sendMessage;
  }

  async setAttributes(participantId: string, attributes: Record<string, unknown>): Promise<Attributes> {
    const input = { participantId, attributes };
    return (await this.transport.request(SetAttributesDocument, { input })).setAttributes.attributes;
  }

  async setTrackMuted(participantId: string, trackId: string, muted: boolean): Promise<void> {
    await this.transport.request(SetTrackMutedDocument, { input: { participantId, trackId, muted } });
  }

  async setPreferredLayer(
    participantId: string,
    streamId: string,
    spatial: number | null,
    temporal: number | null,
  ): Promise<void> {
    await this.transport.request(SetPreferredLayerDocument, {
      input: { participantId, streamId, spatial, temporal },
    });
  }

  async kick(participantId: string, ban: boolean): Promise<void> {
    await this.transport.request(KickParticipantDocument, { participantId, ban });
  }

  async muteTrack(trackId: string): Promise<void> {
    await this.transport.request(MuteTrackDocument, { trackId, roomId: this.roomId() ?? null });
  }

  async startRecording(): Promise<Recording> {
    const roomId = this.roomId();
    if (!roomId) throw new Error('not in a room');
    return (await this.transport.request(StartRecordingDocument, { roomId })).startRecording;
  }

  async stopRecording(id: string): Promise<Recording> {
    const roomId = this.roomId() ?? null;
    return (await this.transport.request(StopRecordingDocument, { id, roomId })).stopRecording;
  }

  async recordings(): Promise<Recording[]> {
    const id = this.roomId();
    if (!id) throw new Error('not in a room');
    return (await this.transport.request(RoomRecordingsDocument, { id })).room.recordings;
  }

  async closeRoom(): Promise<void> {
    const id = this.roomId();
    if (!id) throw new Error('not in a room');
    await this.transport.request(CloseRoomDocument, { id });
  }

  /** The latest `last` quality samples of everyone in the room, by participant id (none before join). */
  async qualityHistories(last: number): Promise<Map<string, QualitySample[]>> {
    const roomId = this.roomId();
    if (!roomId) return new Map();
    const { room } = await this.transport.request(QualityHistoryDocument, { roomId, last });
    return new Map(room.participants.map((participant) => [participant.id, participant.qualityHistory]));
  }

  /** Best effort: the server may be unreachable. */
  async leave(participantId: string): Promise<void> {
    await this.transport.request(LeaveDocument, { participantId }).catch(() => undefined);
  }
}
