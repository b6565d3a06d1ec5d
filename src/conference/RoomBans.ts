import { DomainError, ErrorCode } from '../shared/errors';
import { bannedBy, type JoinPermit } from './grants';
import type { RoomBan } from './ports';

/** Banned identities of a room and when: their tokens issued before that moment no longer open it. */
export class RoomBans {
  readonly #bannedAt = new Map<string, Date>();

  /** `bans`: the room's stored bans. */
  constructor(
    private readonly roomId: string,
    bans: RoomBan[],
  ) {
    for (const ban of bans) this.#bannedAt.set(ban.identity, ban.bannedAt);
  }

  /** BANNED for an identity kicked with a ban, joining with a token issued before the ban. */
  assertAdmissible(permit: JoinPermit): void {
    if (permit.identity !== null && bannedBy(this.#bannedAt.get(permit.identity), permit.issuedAt)) {
      throw new DomainError(
        ErrorCode.BANNED,
        `"${permit.identity}" was banned from room "${this.roomId}"; a token issued before the ban cannot rejoin.`,
      );
    }
  }

  bannedAt(identity: string): Date | undefined {
    return this.#bannedAt.get(identity);
  }

  ban(identity: string, at: Date): void {
    this.#bannedAt.set(identity, at);
  }
}
