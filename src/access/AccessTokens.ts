import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { Grants } from '../conference/grants';
import { DomainError, ErrorCode } from '../shared/errors';

/** A token an application server signs for one person to join one room. */
export interface JoinTokenRequest {
  room: string;
  identity: string;
  name?: string;
  grants?: Partial<Grants>;
  /** Lifetime in seconds (default 6 hours). */
  ttlSeconds?: number;
}

export type VerifiedToken =
  | { kind: 'admin'; issuedAt: Date; expiresAt: Date }
  | {
      kind: 'join';
      room: string;
      identity: string;
      name?: string;
      grants: Grants;
      issuedAt: Date;
      expiresAt: Date;
    };

const DEFAULT_JOIN_TTL_SECONDS = 6 * 3600;
const DEFAULT_ADMIN_TTL_SECONDS = 3600;
/** Clocks of the signing application and this server may disagree a little. */
const CLOCK_TOLERANCE_SECONDS = 10;

/** What a server accepts beyond a valid signature. */
export interface TokenPolicy {
  /** Longest lifetime accepted (exp - iat), in seconds. */
  maxTtlSeconds: number;
  /** When set, tokens must name it in `aud`. */
  audience?: string;
}

const DEFAULT_POLICY: TokenPolicy = { maxTtlSeconds: 86_400 };

/**
 * jsonwebtoken's messages name the expected issuer or audience (the API key): never shown to the
 * caller, each fault gets a fixed sentence.
 */
function reasonOf(error: jwt.JsonWebTokenError): string {
  const message = error.message;
  if (message.startsWith('jwt issuer invalid')) return 'its issuer is not this server’s API key';
  if (message.startsWith('jwt audience invalid')) return 'its audience is not this server';
  if (message === 'invalid signature') return 'its signature does not match';
  if (message.startsWith('invalid algorithm')) return 'it is not signed with HS256';
  if (message === 'jwt malformed' || message === 'invalid token') return 'it is malformed';
  if (message.startsWith('jwt signature is required')) return 'it is not signed';
  return 'it could not be verified';
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  iat: z.number().int(),
  exp: z.number().int(),
  nbf: z.number().int().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iss: z.string().optional(),
  name: z.string().min(1).max(64).optional(),
  room: z.string().min(1).max(64).optional(),
  grants: z
    .object({
      admin: z.boolean().optional(),
      canPublish: z.boolean().optional(),
      canSubscribe: z.boolean().optional(),
      roomAdmin: z.boolean().optional(),
    })
    .strict(),
});

const invalid = (reason: string) =>
  new DomainError(ErrorCode.INVALID_TOKEN, `The access token is not valid: ${reason}.`);

/**
 * Join and admin tokens: JWTs (HS256) signed with the API secret and naming the API key as issuer,
 * so a server holding several keys knows which secret to check (and a key can be rotated).
 *
 * Claims: `sub` identity ("admin" for admin tokens), `name`, `room`, `iat`, `exp`, and
 * `grants: { admin?, canPublish?, canSubscribe?, roomAdmin? }`. A join token names exactly one room.
 */
export class AccessTokens {
  constructor(
    private readonly apiKey: string,
    private readonly apiSecret: string,
    private readonly policy: TokenPolicy = DEFAULT_POLICY,
  ) {}

  mintJoinToken(request: JoinTokenRequest): string {
    const grants: Grants = {
      canPublish: request.grants?.canPublish ?? true,
      canSubscribe: request.grants?.canSubscribe ?? true,
      roomAdmin: request.grants?.roomAdmin ?? false,
    };
    return jwt.sign({ name: request.name, room: request.room, grants }, this.apiSecret, {
      algorithm: 'HS256',
      issuer: this.apiKey,
      subject: request.identity,
      // The default lifetime never exceeds what this server accepts (TOKEN_MAX_TTL).
      expiresIn: request.ttlSeconds ?? Math.min(DEFAULT_JOIN_TTL_SECONDS, this.policy.maxTtlSeconds),
      ...(this.policy.audience ? { audience: this.policy.audience } : {}),
    });
  }

  /** A token for the application's own calls: creating, listing, moderating and closing rooms. */
  mintAdminToken(ttlSeconds = Math.min(DEFAULT_ADMIN_TTL_SECONDS, this.policy.maxTtlSeconds)): string {
    return jwt.sign({ grants: { admin: true } }, this.apiSecret, {
      algorithm: 'HS256',
      issuer: this.apiKey,
      subject: 'admin',
      expiresIn: ttlSeconds,
      ...(this.policy.audience ? { audience: this.policy.audience } : {}),
    });
  }

  /** Throws DomainError TOKEN_EXPIRED, or INVALID_TOKEN for any other fault (signature, issuer, claims). */
  verify(token: string): VerifiedToken {
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.apiSecret, {
        algorithms: ['HS256'],
        issuer: this.apiKey,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        ...(this.policy.audience ? { audience: this.policy.audience } : {}),
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) {
        throw new DomainError(ErrorCode.TOKEN_EXPIRED, 'The access token has expired; get a new one.', {
          expiredAt: error.expiredAt.toISOString(),
        });
      }
      if (error instanceof jwt.NotBeforeError) throw invalid('it is not valid yet');
      if (error instanceof jwt.JsonWebTokenError) throw invalid(reasonOf(error));
      throw error;
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) throw invalid('its claims are not those of a join or admin token');
    const claims = parsed.data;
    const now = Date.now() / 1000;
    // A token "issued" in the future would also pass the ban check (issued after the ban).
    if (claims.iat > now + CLOCK_TOLERANCE_SECONDS) throw invalid('it is issued in the future');
    if (claims.exp - claims.iat > this.policy.maxTtlSeconds) {
      throw invalid(`it lives longer than this server accepts (${this.policy.maxTtlSeconds} s)`);
    }
    const issuedAt = new Date(claims.iat * 1000);
    const expiresAt = new Date(claims.exp * 1000);
    if (claims.grants.admin === true) return { kind: 'admin', issuedAt, expiresAt };
    if (!claims.room) throw invalid('a join token must name its room');
    return {
      kind: 'join',
      room: claims.room,
      identity: claims.sub,
      name: claims.name,
      grants: {
        canPublish: claims.grants.canPublish ?? true,
        canSubscribe: claims.grants.canSubscribe ?? true,
        roomAdmin: claims.grants.roomAdmin ?? false,
      },
      issuedAt,
      expiresAt,
    };
  }
}
