import type { ParticipantTokens } from '../access/ParticipantTokens';
import type { ConferenceService } from '../conference/ConferenceService';
import type { WebhookFailureRecord } from '../conference/ports';
import type { SignalingLink } from '../conference/ports';
import type { Access } from './access';
import type { RateLimiter } from './RateLimiter';

/** What every resolver gets: the use cases and the caller's credentials, never the database or medooze. */
export interface ApiContext {
  conference: ConferenceService;
  /** The bearer token: `Authorization` on HTTP, `connectionParams.authorization` on graphql-ws. */
  token?: string;
  /** The caller's IP address, for per-address limits. */
  clientAddress: string;
  joinLimiter: RateLimiter;
  /** Per-participant limits of event-producing operations. */
  limits: { messages: RateLimiter; attributes: RateLimiter };
  /** What the bearer of `token` may do. */
  access: Access;
  webhookFailures: (first: number) => Promise<WebhookFailureRecord[]>;
  /** The tokens `join` hands out. */
  participantTokens: ParticipantTokens;
  /** graphql-ws only: the liveness of the connection the operation runs on. */
  signalingLink?: SignalingLink;
}

/** Reads "Bearer <token>" (the scheme is case-insensitive); anything else counts as no token. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}
