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
  PrismaWebhookStore,
} from './persistence';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher';
import { logger } from './shared/logger';
import { projectRoot } from './shared/projectRoot';

export interface RunningApp {
  url: string;
  address: AddressInfo;
  conference: ConferenceService;
  media: MediaEngine;
  database: Database;
  /** Present when WEBHOOK_URLS is set. */
  webhooks: WebhookDispatcher | null;
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
  let webhooks: WebhookDispatcher | null = null;
  try {
    media.start();
    const events = new PrismaRoomEventRepository(database.prisma, database.writer);
    const conference = new ConferenceService(
      {
        rooms: new PrismaRoomRepository(database.prisma, database.sql),
        sessions: new PrismaSessionRepository(database.prisma, database.writer),
        events,
        quality: new PrismaQualitySampleRepository(database.prisma, database.writer),
      },
      media,
      {
        autoCreateRooms: config.rooms.autoCreate,
        defaultMaxParticipants: config.rooms.defaultMaxParticipants,
        emptyRoomTimeoutMs: config.rooms.emptyTimeoutMs,
        maxRooms: config.rooms.max,
        participantTimeoutMs: config.participantTimeoutMs,
        // The embedded database belongs to this process alone (DATA_DIR lock): open rooms are listed from memory.
        soleWriter: database.kind === 'embedded',
        maxTracksPerParticipant: config.limits.tracksPerParticipant,
        quality: { intervalMs: config.quality.sampleIntervalMs, retentionMs: config.quality.retentionMs },
      },
    );
    logConference(conference);
    await conference.recover();
    const webhookStore = new PrismaWebhookStore(database.prisma);
    webhooks = config.webhooks ? new WebhookDispatcher(events, webhookStore, config.webhooks) : null;
    if (webhooks) {
      const dispatcher = webhooks;
      conference.observer.on('eventsStored', (roomId) => dispatcher.notify(roomId));
      void dispatcher.start();
    }
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
      webhookFailures: (first) => webhookStore.listFailures(first),
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
      webhooks,
      close: () =>
        (closing ??= (async () => {
          await apiServer.close();
          await conference.shutdown();
          webhooks?.stop();
          if (options.terminateMediaOnClose) media.terminate();
          else media.stop();
          await database.close();
        })()),
    };
  } catch (error) {
    await api?.close().catch(() => undefined);
    webhooks?.stop();
    media.stop();
    await database.close().catch(() => undefined);
    // A port in use is main.ts's to say in one sentence; anything else is logged with its stack.
    if ((error as { code?: string }).code !== 'EADDRINUSE') logger.error({ err: error }, 'start-up failed');
    throw error;
  }
}

/**
 * What an operator wants to follow at `info`: who joins and leaves (with the reason), rooms opening
 * and closing. Structured lines (`event`, `roomId`, `participantId`, `reason`); no names or tokens.
 */
function logConference(conference: ConferenceService): void {
  const { observer, registry } = conference;
  const size = (roomId: string) => registry.live(roomId)?.participants.length;
  observer.on('participantJoined', (roomId, participantId) =>
    logger.info(
      { event: 'participant.joined', roomId, participantId, present: size(roomId) },
      'participant joined',
    ),
  );
  observer.on('participantLeft', (roomId, reason, participantId) =>
    logger.info(
      { event: 'participant.left', roomId, participantId, reason, present: size(roomId) },
      `participant left (${reason})`,
    ),
  );
  observer.on('roomOpened', (roomId) => logger.info({ event: 'room.opened', roomId }, 'room opened'));
  observer.on('roomClosed', (roomId) => logger.info({ event: 'room.closed', roomId }, 'room closed'));
}
