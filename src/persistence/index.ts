export { Database, type DatabaseOptions } from './Database';
export { PrismaRoomRepository } from './PrismaRoomRepository';
export { PrismaSessionRepository } from './PrismaSessionRepository';
