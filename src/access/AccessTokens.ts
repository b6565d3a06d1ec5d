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

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  iat: z.number().int(),
  exp: z.number().int(),
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
      expiresIn: request.ttlSeconds ?? DEFAULT_JOIN_TTL_SECONDS,
    });
  }

  /** A token for the application's own calls: creating, listing, moderating and closing rooms. */
  mintAdminToken(ttlSeconds = DEFAULT_ADMIN_TTL_SECONDS): string {
    return jwt.sign({ grants: { admin: true } }, this.apiSecret, {
      algorithm: 'HS256',
      issuer: this.apiKey,
      subject: 'admin',
      expiresIn: ttlSeconds,
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
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) {
        throw new DomainError(ErrorCode.TOKEN_EXPIRED, 'The access token has expired; get a new one.', {
          expiredAt: error.expiredAt.toISOString(),
        });
      }
      if (error instanceof jwt.NotBeforeError) throw invalid('it is not valid yet');
      if (error instanceof jwt.JsonWebTokenError) throw invalid(error.message);
      throw error;
    }
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) throw invalid('its claims are not those of a join or admin token');
    const claims = parsed.data;
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
