import type { AccessTokens } from '../access/AccessTokens';
import type { BackgroundWritesStatus } from '../conference/BackgroundWrites';
import type { ConferenceService } from '../conference/ConferenceService';
import type { WebhookFailureRecord } from '../conference/ports';
import type { Limits } from '../config';
import type { ClusterGateway } from './cluster/gateway';
import type { QueryLimits } from './limits';
import type { Limiter } from './RateLimiter';

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: { status: 'ok' | 'unreachable'; kind: string };
  media: { state: string; port: number };
  /** Writes the database has not taken yet (events, sessions, samples): retried, never silently dropped. */
  writes: BackgroundWritesStatus;
  /** Cluster: this node, and whether it reaches Redis. */
  node?: { id: string; redis: 'ok' | 'unreachable' };
}

export interface ApiServerOptions {
  conference: ConferenceService;
  health: () => Promise<HealthReport>;
  /** Built web page (served at /) and explorer (GET /graphql from a browser, assets at /explorer). */
  clientDir: string;
  /** Largest accepted request body, e.g. '1mb'. */
  bodyLimit?: string;
  /** Joins one client address may make per second (0: no limit). */
  joinsPerSecondPerAddress?: number;
  /** Deepest and costliest operation accepted (graphql-armor's depth and cost rules). */
  queryLimits?: QueryLimits;
  /** The latest webhook deliveries given up, newest first (admin query). */
  webhookFailures?: (first: number) => Promise<WebhookFailureRecord[]>;
  /** Secured mode: verifies join and admin tokens. Absent: open mode. */
  tokens?: AccessTokens;
  /** Per document, socket, participant and room (defaults: DEFAULT_LIMITS). */
  limits?: Partial<Limits>;
  /** Open mode: web origins accepted besides the server's own. */
  allowedOrigins?: string[];
  /** Secured mode: a bearer token that may read /metrics (an admin token may too). */
  metricsToken?: string;
  /** Where recording files are (served at /recordings/...); absent: no downloads. */
  recordingsDir?: string;
  /** This node's id (NODE_ID, or generated at start). */
  nodeId?: string;
  /** Cluster: operations on rooms held by other nodes are carried out there (absent: one node). */
  cluster?: ClusterGateway;
  /** Joins per address counted cluster-wide (absent: counted here, per node). */
  sharedJoinLimiter?: Limiter;
  /** Moderation calls per moderator counted cluster-wide (absent: counted here). */
  sharedModerationLimiter?: Limiter;
}

export const DEFAULT_LIMITS: Limits = {
  maxRootFields: 10,
  maxAliases: 30,
  maxItems: 50_000,
  subscriptionsPerConnection: 100,
  subscriptionsPerRoom: 1000,
  mutationsPerSecond: 10,
  tracksPerParticipant: 16,
};
