import type { RoomEvent } from '../../src/conference/events';
import type {
  QualitySample,
  QualitySampleRepository,
  RecordingRepository,
  RoomBan,
  RoomEventRepository,
  RoomRepository,
  SessionEnd,
  SessionRepository,
} from '../../src/conference/ports';
import type {
  Page,
  PageRequest,
  RecordingFileRecord,
  RecordingRecord,
  RecordingState,
  RoomRecord,
  SessionRecord,
} from '../../src/conference/records';
import { byStart } from '../../src/conference/Recording';
import { DomainError, ErrorCode } from '../../src/shared/errors';

/** A database that can be taken away: every repository below fails while it is down. */
export class MemoryDatabase {
  down = false;
  /** Writes fail, reads work (a full disk, a read-only replica). */
  writesDown = false;
  /** Fail this many more calls, then work again (independent of `down`). */
  failures = 0;
  calls = 0;

  check(write = false): void {
    this.calls++;
    if (this.down) throw new Error('database unreachable (memory fake)');
    if (write && this.writesDown) throw new Error('database refuses writes (memory fake)');
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database write failed (memory fake)');
    }
  }
}

export class MemoryRoomRepository implements RoomRepository {
  readonly rooms = new Map<string, RoomRecord>();
  readonly bans = new Map<string, RoomBan[]>();
  constructor(private readonly db = new MemoryDatabase()) {}

  async create(room: Omit<RoomRecord, 'closedAt'>): Promise<RoomRecord> {
    this.db.check();
    if (this.rooms.has(room.id)) throw new DomainError(ErrorCode.ROOM_EXISTS, `room ${room.id} exists`);
    const record = { ...room, closedAt: null };
    this.rooms.set(room.id, record);
    return { ...record };
  }
  async findById(id: string): Promise<RoomRecord | null> {
    this.db.check();
    const record = this.rooms.get(id);
    return record ? { ...record } : null;
  }
  async listOpen({ first }: PageRequest): Promise<Page<RoomRecord>> {
    this.db.check();
    const open = [...this.rooms.values()].filter((room) => !room.closedAt);
    return {
      items: open.slice(0, first),
      hasNextPage: open.length > first,
      endCursor: null,
      totalCount: open.length,
    };
  }
  async countOpen(): Promise<number> {
    this.db.check();
    return [...this.rooms.values()].filter((room) => !room.closedAt).length;
  }
  async markClosed(id: string, closedAt: Date): Promise<void> {
    this.db.check();
    const room = this.rooms.get(id);
    if (room && !room.closedAt) room.closedAt = closedAt;
  }
  async ban(roomId: string, identity: string, bannedAt: Date): Promise<void> {
    this.db.check();
    const bans = (this.bans.get(roomId) ?? []).filter((ban) => ban.identity !== identity);
    this.bans.set(roomId, [...bans, { identity, bannedAt }]);
  }
  async listBans(roomId: string): Promise<RoomBan[]> {
    this.db.check();
    return this.bans.get(roomId) ?? [];
  }
}

export class MemorySessionRepository implements SessionRepository {
  readonly sessions = new Map<string, SessionRecord>();
  constructor(private readonly db = new MemoryDatabase()) {}

  /** Statements a real database would have run for starts (one per call). */
  startWrites = 0;
  async start(sessions: ReadonlyArray<Omit<SessionRecord, 'leftAt' | 'leaveReason'>>): Promise<void> {
    this.db.check();
    this.startWrites++;
    for (const session of sessions)
      if (!this.sessions.has(session.id))
        this.sessions.set(session.id, { ...session, leftAt: null, leaveReason: null });
  }
  endWrites = 0;
  async end(ends: ReadonlyArray<SessionEnd>): Promise<void> {
    this.db.check();
    this.endWrites++;
    for (const { id, leftAt, reason } of ends) {
      const session = this.sessions.get(id);
      if (session && !session.leftAt) Object.assign(session, { leftAt, leaveReason: reason });
    }
  }
  async endAllLive(leftAt: Date, reason: string): Promise<number> {
    this.db.check();
    let count = 0;
    for (const session of this.sessions.values()) {
      if (session.leftAt) continue;
      Object.assign(session, { leftAt, leaveReason: reason });
      count++;
    }
    return count;
  }
  async endLiveInRoom(roomId: string, leftAt: Date, reason: string): Promise<SessionRecord[]> {
    this.db.check();
    const ended: SessionRecord[] = [];
    for (const session of this.sessions.values()) {
      if (session.leftAt || session.roomId !== roomId || session.joinedAt >= leftAt) continue;
      Object.assign(session, { leftAt, leaveReason: reason });
      ended.push({ ...session });
    }
    return ended;
  }
  async listForRoom(
    roomId: string,
    page: { first: number; after?: string | null },
  ): Promise<SessionRecord[]> {
    this.db.check();
    const all = [...this.sessions.values()].filter((session) => session.roomId === roomId);
    const start = page.after ? all.findIndex((session) => session.id === page.after) + 1 : 0;
    return all.slice(start, start + page.first);
  }
}

export class MemoryRoomEventRepository implements RoomEventRepository {
  /** Stored events per room, by sequence. */
  readonly rows = new Map<string, Map<number, RoomEvent>>();
  /** How many events each `append` call carried (to see batching and retries). */
  readonly appendCalls: number[] = [];
  readonly listCalls: Array<{ after: number; limit: number }> = [];
  constructor(private readonly db = new MemoryDatabase()) {}

  async append(events: readonly RoomEvent[]): Promise<void> {
    this.appendCalls.push(events.length);
    this.db.check(true);
    for (const event of events) {
      let room = this.rows.get(event.roomId);
      if (!room) this.rows.set(event.roomId, (room = new Map()));
      if (!room.has(event.sequence)) room.set(event.sequence, { ...event });
    }
  }
  async listAfter(
    roomId: string,
    after: number,
    limit: number,
    types?: readonly string[],
  ): Promise<RoomEvent[]> {
    this.listCalls.push({ after, limit });
    this.db.check();
    return this.stored(roomId)
      .filter((event) => event.sequence > after && (!types || types.includes(event.type)))
      .slice(0, limit);
  }
  async lastSequence(roomId: string): Promise<number> {
    this.db.check();
    return Math.max(0, ...this.stored(roomId).map((event) => event.sequence));
  }
  /** Stored events of a room, in order. */
  stored(roomId: string): RoomEvent[] {
    return [...(this.rows.get(roomId)?.values() ?? [])].sort((a, b) => a.sequence - b.sequence);
  }
}

export class MemoryQualityRepository implements QualitySampleRepository {
  samples: QualitySample[] = [];
  constructor(private readonly db = new MemoryDatabase()) {}
  async append(samples: readonly QualitySample[]): Promise<void> {
    this.db.check();
    for (const sample of samples) {
      const known = this.samples.some(
        (other) => other.participantId === sample.participantId && other.at.getTime() === sample.at.getTime(),
      );
      if (!known) this.samples.push(sample);
    }
  }
  async listForParticipant(participantId: string, last: number): Promise<QualitySample[]> {
    this.db.check();
    return this.samples.filter((sample) => sample.participantId === participantId).slice(-last);
  }
  async deleteBefore(at: Date): Promise<number> {
    this.db.check();
    const before = this.samples.length;
    this.samples = this.samples.filter((sample) => sample.at >= at);
    return before - this.samples.length;
  }
}

const sorted = (recording: RecordingRecord): RecordingRecord => {
  const copy = structuredClone(recording);
  copy.files.sort(byStart);
  return copy;
};

export class MemoryRecordingRepository implements RecordingRepository {
  readonly recordings = new Map<string, RecordingRecord>();
  constructor(private readonly db = new MemoryDatabase()) {}
  async create(recording: Omit<RecordingRecord, 'files'>): Promise<void> {
    this.db.check(true);
    this.recordings.set(recording.id, { ...recording, files: [] });
  }
  async addFile(file: RecordingFileRecord): Promise<void> {
    this.db.check(true);
    const files = this.recordings.get(file.recordingId)?.files;
    if (files && !files.some((known) => known.id === file.id)) files.push({ ...file });
  }
  async endFile(id: string, endedAt: Date, bytes: number): Promise<void> {
    this.db.check(true);
    for (const recording of this.recordings.values()) {
      const file = recording.files.find((candidate) => candidate.id === id);
      if (file) Object.assign(file, { endedAt, bytes });
    }
  }
  async end(id: string, state: RecordingState, endedAt: Date): Promise<void> {
    this.db.check(true);
    const recording = this.recordings.get(id);
    if (recording) Object.assign(recording, { state, endedAt });
  }
  async find(id: string): Promise<RecordingRecord | null> {
    this.db.check();
    const recording = this.recordings.get(id);
    return recording ? sorted(recording) : null;
  }
  async listForRoom(roomId: string): Promise<RecordingRecord[]> {
    this.db.check();
    return [...this.recordings.values()].filter((r) => r.roomId === roomId).map(sorted);
  }
  async failAllActive(endedAt: Date, roomId?: string): Promise<string[]> {
    this.db.check(true);
    const ids: string[] = [];
    for (const recording of this.recordings.values()) {
      if (recording.state !== 'RECORDING' || (roomId !== undefined && recording.roomId !== roomId)) continue;
      Object.assign(recording, { state: 'FAILED', endedAt });
      ids.push(recording.id);
    }
    return ids;
  }
}

/** The repositories over one database that tests can take down. */
export function memoryRepositories(db = new MemoryDatabase()) {
  return {
    db,
    rooms: new MemoryRoomRepository(db),
    sessions: new MemorySessionRepository(db),
    events: new MemoryRoomEventRepository(db),
    quality: new MemoryQualityRepository(db),
    recordings: new MemoryRecordingRepository(db),
  };
}
