import type { PrismaClient, Recording, RecordingFile } from '@prisma/client';
import type { RecordingRepository } from '../conference/ports';
import type { RecordingFileRecord, RecordingRecord, RecordingState } from '../conference/records';
import type { SqlExecutor } from './SqlExecutor';

const toFile = (row: RecordingFile): RecordingFileRecord => ({
  id: row.id,
  recordingId: row.recordingId,
  participantId: row.participantId,
  participantName: row.participantName,
  streamId: row.streamId,
  path: row.path,
  startedAt: row.startedAt,
  endedAt: row.endedAt,
  bytes: Number(row.bytes),
});

const toRecord = (row: Recording & { files: RecordingFile[] }): RecordingRecord => ({
  id: row.id,
  roomId: row.roomId,
  state: row.state as RecordingState,
  startedAt: row.startedAt,
  endedAt: row.endedAt,
  files: row.files.map(toFile),
});

const WITH_FILES = { files: { orderBy: [{ startedAt: 'asc' as const }, { id: 'asc' as const }] } };

export class PrismaRecordingRepository implements RecordingRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
  ) {}

  async create(recording: Omit<RecordingRecord, 'files'>): Promise<void> {
    await this.prisma.recording.create({ data: recording });
  }

  /** Idempotent: a file already stored (a retried batch) is left as it is. */
  async addFile(file: RecordingFileRecord): Promise<void> {
    const row = { ...file, bytes: BigInt(file.bytes) };
    await this.prisma.recordingFile.upsert({ where: { id: file.id }, create: row, update: {} });
  }

  async endFile(id: string, endedAt: Date, bytes: number): Promise<void> {
    await this.prisma.recordingFile.update({ where: { id }, data: { endedAt, bytes: BigInt(bytes) } });
  }

  async end(id: string, state: RecordingState, endedAt: Date): Promise<void> {
    await this.prisma.recording.update({ where: { id }, data: { state, endedAt } });
  }

  async find(id: string): Promise<RecordingRecord | null> {
    const row = await this.prisma.recording.findUnique({ where: { id }, include: WITH_FILES });
    return row ? toRecord(row) : null;
  }

  async listForRoom(roomId: string): Promise<RecordingRecord[]> {
    const rows = await this.prisma.recording.findMany({
      where: { roomId },
      orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
      include: WITH_FILES,
    });
    return rows.map(toRecord);
  }

  async failAllActive(endedAt: Date, roomId?: string): Promise<string[]> {
    // At start-up (no room): through the driver, so that an idle server never loads Prisma's query
    // compiler; usually nothing was recording.
    const $ = (n: number) => (this.sql.provider === 'sqlite' ? '?' : `$${n}`);
    const rows = await this.sql.query(
      `SELECT "id" FROM "recordings" WHERE "state" = 'RECORDING'${roomId === undefined ? '' : ` AND "room_id" = ${$(1)}`}`,
      roomId === undefined ? [] : [roomId],
    );
    const ids = rows.map((row) => String(row.id));
    if (ids.length === 0) return [];
    await this.prisma.recording.updateMany({
      where: { id: { in: ids }, state: 'RECORDING' },
      data: { state: 'FAILED', endedAt },
    });
    return ids;
  }
}
