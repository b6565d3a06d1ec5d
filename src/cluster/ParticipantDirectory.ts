import type { RedisLink } from './RedisLink';

/** A participant as every node may see it: its room (where its operations go) and identity. */
export interface ParticipantEntry {
  participantId: string;
  roomId: string;
  identity: string | null;
}

/** Entries outlive nothing by much: a node that dies leaves them, its successor removes them. */
const ENTRY_TTL_S = 24 * 3600;

/**
 * Which room each present participant is in, and whose participant token is whose (by digest,
 * never the token), cluster-wide: any node can route a participant's operation to its room's node
 * and let its token read the room. Written by the node that holds the room, at join and at leave.
 */
export class ParticipantDirectory {
  constructor(private readonly redis: RedisLink) {}

  async add(entry: ParticipantEntry, tokenDigest: string): Promise<void> {
    await this.redis.command
      .multi()
      .set(this.#key(entry.participantId), JSON.stringify({ ...entry, tokenDigest }), 'EX', ENTRY_TTL_S)
      .set(this.#tokenKey(tokenDigest), entry.participantId, 'EX', ENTRY_TTL_S)
      .exec();
  }

  async remove(participantId: string): Promise<void> {
    const entry = await this.#read(participantId);
    const multi = this.redis.command.multi().del(this.#key(participantId));
    if (entry?.tokenDigest) multi.del(this.#tokenKey(entry.tokenDigest));
    await multi.exec();
  }

  async get(participantId: string): Promise<ParticipantEntry | null> {
    const entry = await this.#read(participantId);
    return entry ? { participantId, roomId: entry.roomId, identity: entry.identity } : null;
  }

  /** The participant whose token has this digest, while it is present. */
  async byTokenDigest(tokenDigest: string): Promise<ParticipantEntry | null> {
    const participantId = await this.redis.command.get(this.#tokenKey(tokenDigest));
    return participantId ? this.get(participantId) : null;
  }

  async #read(participantId: string): Promise<(ParticipantEntry & { tokenDigest?: string }) | null> {
    const raw = await this.redis.command.get(this.#key(participantId));
    return raw ? (JSON.parse(raw) as ParticipantEntry & { tokenDigest?: string }) : null;
  }

  #key(participantId: string): string {
    return this.redis.key('participant', participantId);
  }

  #tokenKey(digest: string): string {
    return this.redis.key('participant-token', digest);
  }
}
