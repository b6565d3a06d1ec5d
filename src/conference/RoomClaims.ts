import { DomainError, ErrorCode } from '../shared/errors';
import type { RoomOwnership } from './ports';

/**
 * Cluster: this node's claims on rooms (held as leases, see cluster/RoomLeases), which make it a
 * room's only holder (no ownership on a single node: then every room is this node's). A room is
 * created or loaded here only once claimed, and released when it closes or leaves this node.
 */
export class RoomClaims {
  /** `isLive`: whether the room is live here (then this node already holds it). */
  constructor(
    private readonly ownership: RoomOwnership | undefined,
    private readonly isLive: (roomId: string) => boolean,
  ) {}

  /** Takes the room for this node; `code` (ROOM_ELSEWHERE by default) when another node holds it. */
  async claim(id: string, code: ErrorCode = ErrorCode.ROOM_ELSEWHERE): Promise<void> {
    const ownership = this.ownership;
    if (!ownership || this.isLive(id)) return;
    if (!(await ownership.claim(id))) {
      throw new DomainError(code, `Room "${id}" is held by another node.`);
    }
  }

  /** Creating or loading the claimed room failed: lets it go, unless it is live here after all. */
  releaseUnlessLive(id: string): void {
    if (!this.isLive(id)) void this.ownership?.release(id);
  }

  release(id: string): Promise<void> | undefined {
    return this.ownership?.release(id);
  }
}
