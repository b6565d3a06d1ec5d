import type { RoomRepository } from './ports';
import type { Page, PageRequest, RoomRecord } from './records';
import { pageOfRooms, sortRooms } from './roomPages';

/**
 * The listing and the count of open rooms: from the database, or from memory when this process is
 * the only one that creates and closes rooms in its database (`soleWriter`).
 */
export class OpenRoomListing {
  /** Every open room's record when `soleWriter` (loaded by `load`), else null: the database knows. */
  #records: Map<string, RoomRecord> | null = null;
  /** #records in listing order, computed again after a change. */
  #sorted: RoomRecord[] | null = null;

  constructor(
    private readonly repository: RoomRepository,
    private readonly soleWriter: boolean,
  ) {}

  /** With `soleWriter`: reads the open rooms' records once (at start), then keeps them up to date. */
  async load(): Promise<void> {
    if (!this.soleWriter) return;
    const records = new Map<string, RoomRecord>();
    let after: string | null = null;
    do {
      const page: Page<RoomRecord> = await this.repository.listOpen({ first: 100, after });
      for (const record of page.items) records.set(record.id, record);
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    this.#records = records;
    this.#sorted = null;
  }

  /** Open rooms, oldest first, a page at a time: from memory when this process is the only writer. */
  list(page: PageRequest): Promise<Page<RoomRecord>> {
    if (!this.#records) return this.repository.listOpen(page);
    this.#sorted ??= sortRooms(this.#records.values());
    return Promise.resolve(pageOfRooms(this.#sorted, page));
  }

  count(): Promise<number> {
    return this.#records ? Promise.resolve(this.#records.size) : this.repository.countOpen();
  }

  /** Whether it knows every open room and `id` is none of them (a new id, or a closed room's). */
  isUnknown(id: string): boolean {
    return this.#records !== null && !this.#records.has(id);
  }

  created(record: RoomRecord): void {
    this.#records?.set(record.id, record);
    this.#sorted = null;
  }

  closed(id: string): void {
    if (this.#records?.delete(id)) this.#sorted = null;
  }
}
