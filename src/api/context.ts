import DataLoader from 'dataloader';
import type { ParticipantTokens } from '../access/ParticipantTokens';
import type { QualitySample } from '../conference/ports';
import type { ConferenceService } from '../conference/ConferenceService';
import type { WebhookFailureRecord } from '../conference/ports';
import type { SignalingLink } from '../conference/ports';
import type { Access } from './access';
import type { Limiter, RateLimiter } from './RateLimiter';
import type { ClusterGateway, NodeView } from './cluster/gateway';
import type { LiveSubscriptions } from './subscriptions';
import type { SubscriptionOutlet } from './subscriptionOutlet';

/** What every resolver gets: the use cases and the caller's credentials, never the database or medooze. */
export interface ApiContext {
  conference: ConferenceService;
  /** The bearer token: `Authorization` on HTTP, `connectionParams.authorization` on graphql-ws. */
  token?: string;
  /** The caller's IP address, for per-address limits. */
  clientAddress: string;
  joinLimiter: Limiter;
  /** Per-participant limits of event-producing operations. */
  limits: { messages: RateLimiter; attributes: RateLimiter };
  /** What the bearer of `token` may do. */
  access: Access;
  webhookFailures: (first: number) => Promise<WebhookFailureRecord[]>;
  /** The tokens `join` hands out. */
  participantTokens: ParticipantTokens;
  /** graphql-ws only: the liveness of the connection the operation runs on. */
  signalingLink?: SignalingLink;
  /**
   * graphql-ws only: `join` succeeded on this connection (answered with the participant `token`);
   * its later operations speak for that participant. `remote`: answered by another node.
   */
  joinedOnSocket?: (token: string, remote?: boolean) => void;
  /** graphql-ws only: writes this operation's subscription results to its socket. */
  subscriptionOutlet?: SubscriptionOutlet;
  /** Live subscriptions and who holds them (kicks, bans and expiry end them). */
  subscriptions: LiveSubscriptions;
  /** Event-producing mutations of one participant (setTrackMuted, renegotiate, setPreferredLayer). */
  participantLimiter: RateLimiter;
  /** Moderation (kickParticipant, muteTrack) per moderator. */
  moderationLimiter: Limiter;
  /** Quality history per participant or stay, batched per request (one query per page, not per parent). */
  qualityLoader: QualityLoader;
  /** Cluster: the other nodes (absent on a single node). */
  cluster?: ClusterGateway;
  /** This node as `Node` shows it. */
  localNode: () => NodeView;
}

/** Reads "Bearer <token>" (the scheme is case-insensitive); anything else counts as no token. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

export interface QualityKey {
  participantId: string;
  last: number;
}
export type QualityLoader = DataLoader<QualityKey, QualitySample[], string>;

/** One per request: keys asking for the same `last` are fetched together. */
export function qualityLoader(conference: ConferenceService): QualityLoader {
  return new DataLoader<QualityKey, QualitySample[], string>(
    async (keys) => {
      const byLast = new Map<number, string[]>();
      for (const key of keys) byLast.set(key.last, [...(byLast.get(key.last) ?? []), key.participantId]);
      const results = new Map<string, QualitySample[]>();
      await Promise.all(
        [...byLast].map(async ([last, ids]) => {
          const lists = await conference.qualityHistories(ids, last);
          for (const id of ids) results.set(`${last}:${id}`, lists.get(id) ?? []);
        }),
      );
      return keys.map((key) => results.get(`${key.last}:${key.participantId}`) ?? []);
    },
    { cacheKeyFn: (key) => `${key.last}:${key.participantId}`, maxBatchSize: 500 },
  );
}
