import { randomUUID } from 'node:crypto';
import { AsyncEventQueue } from '../shared/AsyncEventQueue';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { type RoomEvent, RoomEventType } from './events';
import type { RoomRepository, SessionRepository } from './ports';
import type { Page, PageRequest, RoomRecord } from './records';
import { Room } from './Room';
import { validateRoomInput, type RoomInput } from './validation';

export interface ConferenceOptions {
  /** Whether joining an unknown room id creates it (the embedded default does). */
  autoCreateRooms: boolean;
  defaultMaxParticipants: number;
}

/** The use cases of the conference, independent of how they are called (GraphQL) or stored. */
export class ConferenceService {
  readonly #live = new Map<string, Room>();
  readonly #loading = new Map<string, Promise<Room | null>>();
  #closed = false;

  constructor(
    private readonly roomRepository: RoomRepository,
    private readonly sessionRepository: SessionRepository,
    readonly options: ConferenceOptions,
  ) {}

  /** Sessions left open by a process that died are closed: nobody else will close them. */
  async recover(at = new Date()): Promise<number> {
    const count = await this.sessionRepository.endAllLive(at, 'SERVER_RESTART');
    if (count > 0) logger.info({ count }, 'closed sessions left open by the previous run');
    return count;
  }

  async createRoom(input: RoomInput): Promise<RoomRecord> {
    this.#assertRunning();
    const valid = validateRoomInput(input);
    const record = await this.roomRepository.create({
      id: valid.id ?? randomUUID(),
      name: valid.name ?? valid.id ?? 'Room',
      createdAt: new Date(),
      maxParticipants: valid.maxParticipants ?? this.options.defaultMaxParticipants,
      metadata: valid.metadata ?? null,
    });
    this.#live.set(record.id, new Room(record));
    return record;
  }

  /** The room's current record; throws ROOM_NOT_FOUND. Closed rooms are returned too (history). */
  async getRoom(id: string): Promise<RoomRecord> {
    const live = this.#live.get(id);
    if (live) return live.toRecord();
    const record = await this.roomRepository.findById(id);
    if (!record) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room with id "${id}".`);
    return record;
  }

  listOpenRooms(page: PageRequest): Promise<Page<RoomRecord>> {
    if (!Number.isInteger(page.first) || page.first < 1 || page.first > 100) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`first` must be between 1 and 100.');
    }
    return this.roomRepository.listOpen(page);
  }

  async closeRoom(id: string): Promise<RoomRecord> {
    const room = await this.#openRoom(id);
    const at = new Date();
    await this.roomRepository.markClosed(id, at);
    room.close(at);
    this.#live.delete(id);
    return room.toRecord();
  }

  /**
   * Live events of an open room, until it closes (ROOM_CLOSED is the last one).
   * The caller ends the iteration to unsubscribe.
   */
  async roomEvents(roomId: string): Promise<AsyncIterableIterator<RoomEvent>> {
    const room = await this.#openRoom(roomId);
    let unsubscribe = () => undefined as void;
    const queue = new AsyncEventQueue<RoomEvent>(() => unsubscribe());
    unsubscribe = room.on('event', (event) => {
      queue.push(event);
      if (event.type === RoomEventType.ROOM_CLOSED) queue.end();
    });
    return queue;
  }

  /** Drops live state without closing rooms in the database: rooms outlive a server restart. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    this.#live.clear();
  }

  /** The live room, loaded from the database on first use; throws ROOM_NOT_FOUND / ROOM_CLOSED. */
  async #openRoom(id: string): Promise<Room> {
    this.#assertRunning();
    let room = this.#live.get(id);
    if (!room) {
      // Concurrent callers share one load, so a room never gets two live objects.
      let loading = this.#loading.get(id);
      if (!loading) {
        loading = this.roomRepository
          .findById(id)
          .then((record) => {
            if (!record) return null;
            const existing = this.#live.get(id);
            if (existing) return existing;
            const loaded = new Room(record);
            if (!loaded.closed) this.#live.set(id, loaded);
            return loaded;
          })
          .finally(() => this.#loading.delete(id));
        this.#loading.set(id, loading);
      }
      room = (await loading) ?? undefined;
    }
    if (!room) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room with id "${id}".`);
    room.assertOpen();
    return room;
  }

  #assertRunning(): void {
    if (this.#closed) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down.');
  }
}
