import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const digest = (token: string) => createHash('sha256').update(token).digest();

/** How a token is looked up without keeping it (base64url of its SHA-256). */
export const tokenDigest = (token: string) => digest(token).toString('base64url');

/**
 * The bearer tokens `join` hands out, one per participant, valid while it is in its room. Only
 * their digests are kept, indexed so a request's token finds its participant without a scan.
 */
export class ParticipantTokens {
  /** Digest (base64url) -> participant id. */
  readonly #byDigest = new Map<string, string>();
  /** Participant id -> digest, to revoke. */
  readonly #byParticipant = new Map<string, Buffer>();

  /** A new random token for the participant (a second call replaces the first). */
  mint(participantId: string): string {
    this.revoke(participantId);
    const token = randomBytes(32).toString('base64url');
    const hash = digest(token);
    this.#byDigest.set(hash.toString('base64url'), participantId);
    this.#byParticipant.set(participantId, hash);
    return token;
  }

  /** The participant whose token this is, if it is still valid. */
  participantOf(token: string): string | undefined {
    return this.#byDigest.get(digest(token).toString('base64url'));
  }

  /** Whether `token` is the participant's own (compared in constant time). */
  owns(participantId: string, token: string): boolean {
    const expected = this.#byParticipant.get(participantId);
    return expected !== undefined && timingSafeEqual(expected, digest(token));
  }

  /** Its token stops working (the participant left). */
  revoke(participantId: string): void {
    const hash = this.#byParticipant.get(participantId);
    if (!hash) return;
    this.#byParticipant.delete(participantId);
    this.#byDigest.delete(hash.toString('base64url'));
  }

  /** The digest of the participant's token (published to the cluster), if it has one. */
  digestOf(participantId: string): string | undefined {
    return this.#byParticipant.get(participantId)?.toString('base64url');
  }

  get size(): number {
    return this.#byParticipant.size;
  }
}
