/**
 * Browser SDK of the GraphQL SFU: join a room, publish and receive media, follow the room.
 * See client/README.md.
 */
export {
  ConferenceClient,
  RtcNegotiationPeer,
  type ConferenceClientOptions,
  type ConferenceEvents,
  type ConnectionState,
  type Grants,
  type QualitySample,
  type JoinOptions,
  type ParticipantInfo,
  type RemoteStream,
} from './ConferenceClient';
export { API_ERROR_CODES, ConferenceError, errorCode, type ApiErrorCode, type ErrorCode } from './errors';
export { Negotiator, type NegotiationPeer, type NegotiationSignaling, type ServerOffer } from './Negotiator';
export { Transport, type TransportOptions } from './transport';
