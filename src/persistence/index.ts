export { DataDirInUseError } from './DataDirLock';
export { DatabaseInUseError } from './SchemaUseLock';
export { Database, DatabaseUnreachableError, type DatabaseOptions, type Provider } from './Database';
export { PrismaRoomEventRepository } from './PrismaRoomEventRepository';
export { PrismaRoomRepository } from './PrismaRoomRepository';
export { PrismaSessionRepository } from './PrismaSessionRepository';
export { PrismaQualitySampleRepository } from './PrismaQualitySampleRepository';
export { PrismaWebhookStore } from './PrismaWebhookStore';
export { PrismaRecordingRepository } from './PrismaRecordingRepository';
