import type { Offer } from '../../conference/Participant';
import type { SignalingLink } from '../../conference/ports';

/** A node as the API shows it (`Node`). */
export interface NodeView {
  id: string;
  url: string;
  alive: boolean;
  draining: boolean;
  rooms: number;
  participants: number;
  streams: number;
  load: number;
}

/** A kick or ban, for the subscriptions of that person on every node. */
export interface EndedNotice {
  participantId: string;
  roomId: string;
  identity: string | null;
  code: string;
  message: string;
}

/** A participant present somewhere in the cluster, as its token or id finds it. */
export interface RemoteParticipant {
  participantId: string;
  roomId: string;
  identity: string | null;
}

/**
 * What the API needs from the cluster (implemented over Redis by src/cluster, wired in app.ts). On
 * a single node there is none: every room is here.
 */
export interface ClusterGateway {
  readonly nodeId: string;
  /** Proves that a request was forwarded by another node of this cluster (shared through Redis). */
  readonly internalSecret: string;
  self(): NodeView;
  nodes(): Promise<NodeView[]>;
  node(id: string): Promise<NodeView | undefined>;
  /** The node holding the room (its lease), or null when none does. */
  holderOf(roomId: string): Promise<string | null>;
  /** The least loaded live node that takes new rooms (maybe this one). */
  placement(): Promise<NodeView>;
  /** Takes the room's lease for this node; false when another node was quicker. */
  claim(roomId: string): Promise<boolean>;
  participant(participantId: string): Promise<RemoteParticipant | null>;
  participantByToken(token: string): Promise<RemoteParticipant | null>;
  /** A participant held here joined (with its token's digest, never the token) or left. */
  participantJoined(participant: RemoteParticipant, tokenDigest: string): Promise<void>;
  participantLeft(participantId: string): void;
  /** The offers of a participant held by `holder`, carried by this node's socket. */
  relayOffers(
    holder: string,
    participantId: string,
    token: string,
    link: SignalingLink,
  ): Promise<AsyncIterableIterator<Offer>>;
  /** Called after Redis came back (a restarted Redis lost every key: republish what is ours). */
  onReconnect(listener: () => void): void;
  /** Tells every node to end what a kicked or banned person follows there. */
  announceEnded(notice: EndedNotice): void;
  onEnded(listener: (notice: EndedNotice) => void): Promise<void>;
  /** This node's count of subscriptions following a room, and the other live nodes' total. */
  reportSubscriptions(roomId: string, count: number): void;
  subscriptionsElsewhere(roomId: string): Promise<number>;
  /** Origins of the other nodes (a page moved by a drain connects to them). */
  origins(): string[];
}
