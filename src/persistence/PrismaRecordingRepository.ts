import type { PrismaClient, Recording, RecordingFile } from '@prisma/client';
import type { RecordingRepository } from '../conference/ports';
import type { RecordingFileRecord, RecordingRecord, RecordingState } from '../conference/records';

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
  constructor(private readonly prisma: PrismaClient) {}

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
    const where = { state: 'RECORDING', ...(roomId !== undefined && { roomId }) };
    const ids = (await this.prisma.recording.findMany({ where, select: { id: true } })).map((row) => row.id);
    if (ids.length === 0) return [];
    await this.prisma.recording.updateMany({
      where: { id: { in: ids }, state: 'RECORDING' },
      data: { state: 'FAILED', endedAt },
    });
    return ids;
  }
}
