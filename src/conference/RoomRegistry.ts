import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../shared/errors';
import { logger } from '../shared/logger';
import { AbandonedRooms } from './AbandonedRooms';
import type { Participant } from './Participant';
import type { RoomEventRepository, RoomOwnership, RoomRepository } from './ports';
import { OpenRoomListing } from './OpenRoomListing';
import { RoomClaims } from './RoomClaims';
import type { Page, PageRequest, RoomRecord } from './records';
import { Room, type RoomServices } from './Room';
import { storedEvents } from './RoomEventLog';
import { LeaveReason } from './events';
import type { RoomEventStream } from './RoomEventStream';
import { validateRoomInput, type RoomInput } from './validation';

export interface RoomRegistryOptions {
  /** Whether joining an unknown room id creates it. */
  autoCreateRooms: boolean;
  defaultMaxParticipants: number;
  /** Open rooms this server keeps at most (TOO_MANY_ROOMS past it). */
  maxRooms: number;
  /** An open room nobody is in closes after this long (0: never). */
  emptyTimeoutMs: number;
  /**
   * Whether this process is the only one that creates and closes rooms in its database (the embedded
   * one, locked to one process): it then lists open rooms and counts them from memory. Not with
   * PostgreSQL, which several nodes may share.
   */
  soleWriter?: boolean;
  /**
   * Cluster: the lease that makes this node a room's only holder (absent on a single node). A room
   * is created or loaded here only once claimed, released when it closes or leaves this node.
   */
  ownership?: RoomOwnership;
  /**
   * Cluster: runs when this node takes a room (after claiming it, before anyone joins here). Stays
   * still open in the database began on the room's previous holder, which is gone (`since`: the
   * moment of the claim).
   */
  onTaken?: (room: Room, since: Date) => Promise<void>;
  /**
   * Cluster: the events of an open room another node holds (stored ones, then live ones as that node
   * stores them); `after` null: from now on.
   */
  remoteEvents?: (roomId: string, after: number | null) => Promise<RoomEventStream>;
}

/**
 * The one place that holds rooms: it loads each from the database once, creates them (on demand
 * where allowed, within ROOMS_MAX), closes them and forgets them when they close. Participants are
 * found through their room (an index kept from the rooms' own join and leave notices).
 */
export class RoomRegistry {
  readonly #rooms = new Map<string, Room>();
  readonly #loading = new Map<string, Promise<Room | 'closed' | null>>();
  /** First joins of a room not live yet, shared by the joiners arriving meanwhile (see forJoin). */
  readonly #openingForJoin = new Map<string, Promise<Room>>();
  /** Logs of closed rooms whose last events are still on their way to the database. */
  readonly #retiring = new Map<string, Room['log']>();
  readonly #participants = new Map<string, Participant>();
  /** Closes, after the empty-room timeout, the rooms a previous process left open (see `recover`). */
  readonly #abandoned: AbandonedRooms;
  /** Open rooms' listing and count, from memory when `soleWriter`. */
  readonly #openRooms: OpenRoomListing;
  readonly #claims: RoomClaims;
  #stopped = false;

  constructor(
    private readonly repository: RoomRepository,
    private readonly eventRepository: RoomEventRepository,
    private readonly services: RoomServices,
    private readonly options: RoomRegistryOptions,
    private readonly onParticipantJoined: (participant: Participant) => void = () => undefined,
    private readonly onParticipantLeft: (participant: Participant, reason: string) => void = () => undefined,
    private readonly onRoom: (change: 'opened' | 'closed', roomId: string) => void = () => undefined,
  ) {
    this.#claims = new RoomClaims(options.ownership, (id) => this.#rooms.has(id));
    this.#openRooms = new OpenRoomListing(repository, options.soleWriter ?? false);
    this.#abandoned = new AbandonedRooms(options.emptyTimeoutMs, {
      listOpen: (page) => this.repository.listOpen(page),
      stopped: () => this.#stopped,
      loaded: (id) => this.#rooms.has(id) || this.#loading.has(id),
      load: (id) => this.#load(id),
      close: (room) => this.#close(room),
    });
  }

  /** Live rooms (metrics, sampling). */
  rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  live(id: string): Room | undefined {
    return this.#rooms.get(id);
  }

  participant(id: string): Participant | undefined {
    return this.#participants.get(id);
  }

  participants(): IterableIterator<Participant> {
    return this.#participants.values();
  }

  /** How much per-room state is held (leak checks). */
  sizes(): { rooms: number; loading: number; retiring: number; participants: number } {
    return {
      rooms: this.#rooms.size,
      loading: this.#loading.size,
      retiring: this.#retiring.size,
      participants: this.#participants.size,
    };
  }

  /** With `soleWriter`: reads the open rooms' records once (at start), then keeps them up to date. */
  async loadOpenRooms(): Promise<void> {
    await this.#openRooms.load();
  }

  /** Open rooms, oldest first, a page at a time: from memory when this process is the only writer. */
  listOpen(page: PageRequest): Promise<Page<RoomRecord>> {
    return this.#openRooms.list(page);
  }

  async create(input: RoomInput): Promise<Room> {
    this.#assertRunning();
    const valid = validateRoomInput(input);
    if ((await this.#openRooms.count()) >= this.options.maxRooms) {
      throw new DomainError(
        ErrorCode.TOO_MANY_ROOMS,
        `This server keeps at most ${this.options.maxRooms} open rooms.`,
      );
    }
    const id = valid.id ?? randomUUID();
    // Held by another node means it exists.
    await this.#claims.claim(id, ErrorCode.ROOM_EXISTS);
    let record: RoomRecord;
    try {
      record = await this.repository.create({
        id,
        name: valid.name ?? valid.id ?? 'Room',
        createdAt: new Date(),
        maxParticipants: valid.maxParticipants ?? this.options.defaultMaxParticipants,
        videoCodec: valid.videoCodec ?? 'VP8',
        simulcast: valid.simulcast ?? true,
        metadata: valid.metadata ?? null,
      });
    } catch (error) {
      // ROOM_EXISTS: its holder is whoever loads it, maybe this node a moment later.
      this.#claims.releaseUnlessLive(id);
      throw error;
    }
    this.#openRooms.created(record);
    return this.#adopt(new Room(record, this.services));
  }

  /** The room's record, live or from the database; ROOM_NOT_FOUND. Closed rooms too (history). */
  async record(id: string): Promise<RoomRecord> {
    const live = this.#rooms.get(id);
    if (live) return live.toRecord();
    const record = await this.repository.findById(id);
    if (!record) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room with id "${id}".`);
    return record;
  }

  /** The live room, loaded from the database on first use; throws ROOM_NOT_FOUND / ROOM_CLOSED. */
  async open(id: string): Promise<Room> {
    this.#assertRunning();
    const room = this.#rooms.get(id) ?? (await this.#load(id));
    if (!room) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room with id "${id}".`);
    if (room === 'closed') throw new DomainError(ErrorCode.ROOM_CLOSED, `Room "${id}" is closed.`);
    room.assertOpen();
    return room;
  }

  /**
   * The open room to join, created on the fly when allowed. First joiners arriving together share
   * one creation: each making its own meant, on PostgreSQL, one insert per joiner, every one but the
   * first blocked behind it and refused (ROOM_EXISTS), and then a load of the room through Prisma
   * (three more round trips) unless the winner had adopted it by then: 20 joins at once into 5 new
   * rooms queued behind 20 inserts instead of 5.
   */
  async forJoin(id: string): Promise<Room> {
    this.#assertRunning();
    const live = this.#rooms.get(id);
    if (live) {
      live.assertOpen();
      return live;
    }
    let opening = this.#openingForJoin.get(id);
    if (!opening) {
      opening = this.#openOrCreate(id).finally(() => this.#openingForJoin.delete(id));
      this.#openingForJoin.set(id, opening);
    }
    return opening;
  }

  async #openOrCreate(id: string): Promise<Room> {
    // The only writer knows every open room: an id it does not know is new or closed, and the insert
    // tells which (ROOM_EXISTS for a closed one, read below), so a first joiner waits for one write.
    const unknown = this.#openRooms.isUnknown(id) && !this.#loading.has(id);
    if (!unknown || !this.options.autoCreateRooms) {
      try {
        return await this.open(id);
      } catch (error) {
        if (!isCode(error, ErrorCode.ROOM_NOT_FOUND) || !this.options.autoCreateRooms) throw error;
      }
    }
    try {
      await this.create({ id });
    } catch (error) {
      // Two first joiners at once: one creates, the other joins what it created.
      if (!isCode(error, ErrorCode.ROOM_EXISTS)) throw error;
    }
    return this.open(id);
  }

  /**
   * Closes the rooms a previous process left open once the empty-room timeout passes, if nobody
   * loaded them by then (see AbandonedRooms). Returns how many rooms it watches.
   */
  recover(): Promise<number> {
    return this.#abandoned.recover();
  }

  async close(id: string): Promise<RoomRecord> {
    return this.#close(await this.open(id));
  }

  async #close(room: Room): Promise<RoomRecord> {
    const id = room.id;
    room.beginClosing();
    const at = new Date();
    try {
      await this.repository.markClosed(id, at);
    } catch (error) {
      room.abortClosing();
      throw error;
    }
    this.#openRooms.closed(id);
    await room.close(at);
    return room.toRecord();
  }

  /**
   * A room's events after `after` (all stored ones first, closed rooms too), then live ones; without
   * `after`, live ones of an open room. Ends after ROOM_CLOSED.
   */
  async events(roomId: string, after: number | null): Promise<RoomEventStream> {
    const remote = this.options.remoteEvents;
    if (remote && !this.#rooms.has(roomId) && !this.#retiring.has(roomId)) {
      // Following a room is not a reason to take it: it stays with its holder.
      const record = await this.record(roomId);
      if (!record.closedAt) return remote(roomId, after);
      if (after === null) throw new DomainError(ErrorCode.ROOM_CLOSED, `Room "${roomId}" is closed.`);
      return storedEvents(this.eventRepository, roomId, after);
    }
    if (after === null) return (await this.open(roomId)).events(null);
    // A room being closed still streams through its log, so a replay ends with ROOM_CLOSED.
    const log = this.#rooms.get(roomId)?.log ?? this.#retiring.get(roomId);
    if (log) return log.stream(after);
    try {
      return (await this.open(roomId)).events(after);
    } catch (error) {
      if (!isCode(error, ErrorCode.ROOM_CLOSED)) throw error;
    }
    // Closed in an earlier run, or closed since: what is stored is all there is (once stored).
    return this.#retiring.get(roomId)?.stream(after) ?? storedEvents(this.eventRepository, roomId, after);
  }

  /**
   * When `identity` was banned from the room, if it was: from the live room, else from the database
   * (a room not loaded, or closed). Access checks ask it for every join token, not only at `join`.
   */
  async bannedAt(roomId: string, identity: string): Promise<Date | undefined> {
    const live = this.#rooms.get(roomId);
    if (live) return live.bannedAt(identity);
    const bans = await this.repository.listBans(roomId);
    return bans.find((ban) => ban.identity === identity)?.bannedAt;
  }

  /** Every member of every room leaves (SERVER_SHUTDOWN); rooms stay open in the database. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    this.#abandoned.stop();
    // A room a first join is creating is shut down with the others, not left behind.
    await Promise.all([...this.#openingForJoin.values()].map((opening) => opening.catch(() => null)));
    await Promise.all([...this.#rooms.values()].map((room) => room.shutdown()));
    await Promise.all([...this.#loading.values()].map((loading) => loading.catch(() => null)));
  }

  /** Concurrent callers share one load, so a room never gets two live objects. */
  /** A closed room gets no live object: it would own a detector and a log for nothing. */
  #load(id: string): Promise<Room | 'closed' | null> {
    let loading = this.#loading.get(id);
    if (!loading) {
      loading = (async () => {
        const record = await this.repository.findById(id);
        if (!record) return null;
        if (record.closedAt) return 'closed';
        const since = new Date();
        await this.#claims.claim(id);
        try {
          const [lastSequence, bans] = await Promise.all([
            this.eventRepository.lastSequence(id),
            this.repository.listBans(id),
          ]);
          const existing = this.#rooms.get(id);
          if (existing) return existing;
          const room = this.#adopt(new Room(record, this.services, lastSequence, bans));
          await this.options.onTaken?.(room, since);
          return room;
        } catch (error) {
          this.#claims.releaseUnlessLive(id);
          throw error;
        }
      })().finally(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading;
  }

  #adopt(room: Room): Room {
    this.#rooms.set(room.id, room);
    this.onRoom('opened', room.id);
    room.on('participantJoined', (participant) => {
      this.#participants.set(participant.id, participant);
      this.onParticipantJoined(participant);
    });
    room.on('participantLeft', (participant, reason) => {
      this.#participants.delete(participant.id);
      this.onParticipantLeft(participant, reason);
    });
    room.on('idle', () => {
      this.close(room.id).catch((error: unknown) =>
        logger.warn({ err: error, roomId: room.id }, 'could not close an empty room'),
      );
    });
    room.on('closed', () => {
      this.#rooms.delete(room.id);
      this.onRoom('closed', room.id);
      const release = () => void this.#claims.release(room.id);
      if (room.log.pendingWrites() === 0) {
        void room.log.retire().then(release);
        return;
      }
      // Replays of the room read through its log until the database has every event.
      // The lease is kept until then: the next holder numbers events after the last stored one.
      this.#retiring.set(room.id, room.log);
      void room.log.retire().then(() => {
        this.#retiring.delete(room.id);
        release();
      });
    });
    return room;
  }

  /**
   * Cluster: the room leaves this node (drain, or its lease was lost): members leave with
   * ROOM_MOVED, the room stays open, and once its events are stored the lease is released, so the
   * next holder continues the numbering. Resolves then.
   */
  async handOver(id: string, movedTo?: Record<string, unknown>): Promise<void> {
    const room = this.#rooms.get(id);
    if (!room) return;
    await room.shutdown(LeaveReason.ROOM_MOVED, movedTo);
    await room.log.flush().catch(() => undefined);
    await this.#claims.release(id);
  }

  #assertRunning(): void {
    if (this.#stopped) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down.');
  }
}

const isCode = (error: unknown, code: ErrorCode) => error instanceof DomainError && error.code === code;
