import { DomainError, ErrorCode } from '../shared/errors';
import { type Viewer, visibleTo } from './messages';
import { type RoomEvent, RoomEventType } from './events';
import type { RoomEventRepository } from './ports';
import type { RoomRegistry } from './RoomRegistry';

/** Chat history: the room's MESSAGE events, as each viewer may see them. */
export class Chat {
  constructor(
    private readonly registry: RoomRegistry,
    private readonly events: RoomEventRepository,
  ) {}

  /**
   * Up to `first` messages after the message event with sequence `after`, oldest first: stored ones,
   * then those still on their way to the database. Private messages of others are left out.
   */
  async history(
    roomId: string,
    viewer: Viewer,
    page: { first: number; after: number | null },
  ): Promise<{ events: RoomEvent[]; hasNextPage: boolean }> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > 100) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`first` must be between 1 and 100.');
    }
    await this.registry.record(roomId);
    const types = [RoomEventType.MESSAGE];
    const events: RoomEvent[] = [];
    let cursor = page.after ?? 0;
    // Private messages of others are skipped, so a page may take more than one read.
    for (let reads = 0; events.length <= page.first && reads < 20; reads++) {
      const stored = await this.events.listAfter(roomId, cursor, 200, types);
      const unstored = (this.registry.live(roomId)?.log.unstored().events ?? []).filter(
        (event) =>
          event.type === RoomEventType.MESSAGE && event.sequence > (stored.at(-1)?.sequence ?? cursor),
      );
      const batch = [...stored, ...unstored];
      if (batch.length === 0) break;
      events.push(...batch.filter((event) => visibleTo(viewer, event)));
      cursor = batch.at(-1)!.sequence;
      if (stored.length < 200) break;
    }
    return { events: events.slice(0, page.first), hasNextPage: events.length > page.first };
  }
}
