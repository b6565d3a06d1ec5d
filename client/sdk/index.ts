/**
 * Browser SDK of the GraphQL SFU: join a room, publish and receive media, follow the room.
 * See client/README.md.
 *
 * - ConferenceClient: the connection (join, signalling socket, negotiation, state) and the API;
 * - RoomState: who else is there, whose streams, which tracks are muted, their attributes;
 * - ChatLog: the chat messages you may read (history, then live), each id once;
 * - RecordingStatus: whether the room is being recorded (snapshot at join, then events);
 * - Publisher: your tracks as sent (transceivers, simulcast / SVC encodings, replaceTrack).
 */
export { ConferenceClient } from './ConferenceClient';
export { RtcNegotiationPeer } from './RtcNegotiationPeer';
export { RoomState } from './RoomState';
export { ChatLog } from './ChatLog';
export { RecordingStatus } from './RecordingStatus';
export { Publisher } from './Publisher';
export type {
  AttributesChange,
  ChatMessage,
  ConferenceClientOptions,
  ConferenceEvents,
  ConnectionState,
  Grants,
  QualitySample,
  JoinOptions,
  Recording,
  RecordingInfo,
  ParticipantInfo,
  RemoteStream,
} from './types';
export { API_ERROR_CODES, ConferenceError, errorCode, type ApiErrorCode, type ErrorCode } from './errors';
export { Negotiator, type NegotiationPeer, type NegotiationSignaling, type ServerOffer } from './Negotiator';
export { Transport, type TransportOptions } from './transport';
