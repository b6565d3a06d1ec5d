/**
 * Browser SDK of the GraphQL SFU: join a room, publish and receive media, follow the room.
 * See client/README.md.
 *
 * - ConferenceClient: the API; it wires the parts below;
 * - JoinSession: one join, from join() on: wires PeerLink, RoomSync and SignalingSocket together;
 * - PeerLink: the peer connection, join's offer/answer, renegotiations (Negotiator), ICE restarts;
 * - SignalingSocket: the graphql-ws socket and its negotiation / roomEvents subscriptions;
 * - ConnectionStatus: the connection state from the peer connection's and the socket's;
 * - RoomSync: routes room events and reads the room again when needed;
 * - RoomState: who else is there (and whether reconnecting), whose streams, muted tracks, attributes;
 * - ChatLog: the chat messages you may read (history, then live), each id once;
 * - RecordingStatus: whether the room is being recorded (room snapshot at join, then events);
 * - Publisher: your tracks as sent (transceivers, simulcast / SVC encodings, replaceTrack);
 * - RoomRequests: the other requests (chat, attributes, mutes, layers, moderation, quality).
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
  ParticipantInfo,
  Recording,
  RecordingInfo,
  RemoteStream,
} from './types';
export {
  API_ERROR_CODES,
  ConferenceError,
  errorCode,
  movedTo,
  type ApiErrorCode,
  type ErrorCode,
} from './errors';
export { Negotiator, type NegotiationPeer, type NegotiationSignaling, type ServerOffer } from './Negotiator';
export { Transport, type TransportOptions } from './transport';
