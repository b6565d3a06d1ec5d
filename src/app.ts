import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AccessTokens } from './access/AccessTokens';
import { ApiServer, type HealthReport } from './api/server';
import type { Config } from './config';
import { ConferenceService } from './conference/ConferenceService';
import { MediaEngine } from './media/MediaEngine';
import {
  Database,
  PrismaQualitySampleRepository,
  PrismaRoomEventRepository,
  PrismaRoomRepository,
  PrismaSessionRepository,
} from './persistence';
import { logger } from './shared/logger';
import { projectRoot } from './shared/projectRoot';

export interface RunningApp {
  url: string;
  address: AddressInfo;
  conference: ConferenceService;
  media: MediaEngine;
  database: Database;
  /** Ordered shutdown: stop accepting, end subscriptions, close rooms' media, stop media, close the database. */
  close(): Promise<void>;
}

/**
 * The composition root: config -> persistence -> media -> conference -> api.
 * Each part is closed by whoever created it, in reverse order.
 */
export async function startApp(
  config: Config,
  options: { terminateMediaOnClose?: boolean } = {},
): Promise<RunningApp> {
  const database = await Database.open(config.database);
  const media = new MediaEngine(config.media);
  let api: ApiServer | undefined;
  try {
    media.start();
    const conference = new ConferenceService(
      {
        rooms: new PrismaRoomRepository(database.prisma),
        sessions: new PrismaSessionRepository(database.prisma),
        events: new PrismaRoomEventRepository(database.prisma),
        quality: new PrismaQualitySampleRepository(database.prisma),
      },
      media,
      {
        autoCreateRooms: config.rooms.autoCreate,
        defaultMaxParticipants: config.rooms.defaultMaxParticipants,
        emptyRoomTimeoutMs: config.rooms.emptyTimeoutMs,
        maxRooms: config.rooms.max,
        negotiationGraceMs: config.negotiationGraceMs,
        maxTracksPerParticipant: config.limits.tracksPerParticipant,
        quality: { intervalMs: config.quality.sampleIntervalMs, retentionMs: config.quality.retentionMs },
      },
    );
    await conference.recover();
    const health = async (): Promise<HealthReport> => {
      const databaseOk = await database.ping().then(
        () => true,
        () => false,
      );
      const mediaStatus = media.status();
      const writes = conference.backgroundWrites();
      return {
        status: databaseOk && mediaStatus.state === 'running' && writes.status === 'ok' ? 'ok' : 'degraded',
        database: { status: databaseOk ? 'ok' : 'unreachable', kind: database.kind },
        media: { state: mediaStatus.state, port: mediaStatus.port },
        writes,
      };
    };
    api = new ApiServer({
      conference,
      health,
      clientDir: path.join(projectRoot, 'dist', 'client'),
      queryLimits: config.queryLimits,
      limits: config.limits,
      allowedOrigins: config.allowedOrigins,
      metricsToken: config.metricsToken,
      joinsPerSecondPerAddress: config.joinsPerSecondPerAddress,
      tokens:
        config.access.mode === 'secured'
          ? new AccessTokens(config.access.apiKey, config.access.apiSecret, config.tokenPolicy)
          : undefined,
    });
    const address = await api.listen(config.host, config.port);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    let closing: Promise<void> | undefined;
    const apiServer = api;
    return {
      url,
      address,
      conference,
      media,
      database,
      close: () =>
        (closing ??= (async () => {
          await apiServer.close();
          await conference.shutdown();
          if (options.terminateMediaOnClose) media.terminate();
          else media.stop();
          await database.close();
        })()),
    };
  } catch (error) {
    await api?.close().catch(() => undefined);
    media.stop();
    await database.close().catch(() => undefined);
    logger.error({ err: error }, 'start-up failed');
    throw error;
  }
}
