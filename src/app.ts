import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AccessTokens } from './access/AccessTokens';
import { ApiServer, type HealthReport } from './api/server';
import type { Config } from './config';
import { ConferenceService } from './conference/ConferenceService';
import { DEFAULT_RETRY_POLICY } from './conference/RetryingWriter';
import { MediaEngine } from './media/MediaEngine';
import {
  Database,
  PrismaQualitySampleRepository,
  PrismaRecordingRepository,
  PrismaRoomEventRepository,
  PrismaRoomRepository,
  PrismaSessionRepository,
  PrismaWebhookStore,
} from './persistence';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher';
import type { Cluster } from './cluster/index';
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
  /** Present when REDIS_URL makes this process a cluster node. */
  cluster: Cluster | null;
  /** Cluster: moves every room to other nodes (SIGTERM, before close); nothing on a single node. */
  drain(): Promise<void>;
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
  const database = await Database.open(
    config.database.kind === 'postgresql'
      ? { ...config.database, use: config.cluster ? 'cluster' : 'alone' }
      : config.database,
  );
  const media = new MediaEngine(config.media);
  let api: ApiServer | undefined;
  let webhooks: WebhookDispatcher | null = null;
  let cluster: Cluster | null = null;
  try {
    const events = new PrismaRoomEventRepository(database.prisma, database.writer);
    let gatewayOf: typeof import('./cluster/index').clusterGateway | undefined;
    if (config.cluster) {
      // Loaded for a cluster only: ioredis and the shared limiters are memory a server alone never uses.
      const { Cluster, clusterGateway } = await import('./cluster/index.js');
      gatewayOf = clusterGateway;
      cluster = await Cluster.connect(
        { redisUrl: config.cluster.redisUrl, prefix: config.cluster.prefix, nodeId: config.nodeId },
        events,
      );
    }
    const joined = cluster;
    media.start();
    const conference = new ConferenceService(
      {
        rooms: new PrismaRoomRepository(database.prisma, database.sql),
        sessions: new PrismaSessionRepository(database.prisma, database.writer),
        events,
        quality: new PrismaQualitySampleRepository(database.prisma, database.writer),
        recordings: new PrismaRecordingRepository(database.prisma, database.sql),
      },
      media,
      {
        autoCreateRooms: config.rooms.autoCreate,
        defaultMaxParticipants: config.rooms.defaultMaxParticipants,
        emptyRoomTimeoutMs: config.rooms.emptyTimeoutMs,
        maxRooms: config.rooms.max,
        participantTimeoutMs: config.participantTimeoutMs,
        // The database is this process's alone (DATA_DIR lock, or PostgreSQL's schema lock without a
        // cluster): open rooms are listed from memory.
        soleWriter: database.soleWriter,
        maxTracksPerParticipant: config.limits.tracksPerParticipant,
        retryPolicy: { ...DEFAULT_RETRY_POLICY, batchDelayMs: database.backgroundBatchDelayMs },
        quality: { intervalMs: config.quality.sampleIntervalMs, retentionMs: config.quality.retentionMs },
        ownership: joined?.leases,
        remoteEvents: joined ? (roomId, after) => joined.feed.stream(roomId, after) : undefined,
      },
      media,
    );
    // What a room's holder stored goes to the nodes whose clients follow the room.
    if (joined)
      conference.observer.on('eventsStored', (roomId, _through, stored) =>
        joined.publishStored(roomId, stored),
      );
    logConference(conference);
    await conference.recover();
    const webhookStore = new PrismaWebhookStore(database.prisma);
    const webhookOptions = config.webhooks;
    if (webhookOptions && joined) {
      // One node delivers for the whole cluster (a role lease); another takes over if it dies.
      await joined.onStored((roomId) => webhooks?.notify(roomId));
      joined.role(
        'webhooks',
        () => {
          webhooks = new WebhookDispatcher(events, webhookStore, webhookOptions);
          void webhooks.start();
        },
        () => {
          webhooks?.stop();
          webhooks = null;
        },
      );
    } else if (webhookOptions) {
      const dispatcher = (webhooks = new WebhookDispatcher(events, webhookStore, webhookOptions));
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
        ...(joined && { node: { id: joined.nodeId, redis: joined.redis.up ? 'ok' : 'unreachable' } }),
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
      nodeId: config.nodeId,
      cluster: joined && gatewayOf ? gatewayOf(joined) : undefined,
      sharedJoinLimiter: joined?.rateLimiter('joins', config.joinsPerSecondPerAddress, 'joins'),
      sharedModerationLimiter: joined?.rateLimiter(
        'moderation',
        config.limits.mutationsPerSecond,
        'moderation calls',
        'from one moderator',
      ),
      webhookFailures: (first) => webhookStore.listFailures(first),
      recordingsDir: config.media.recordingsDir,
      tokens:
        config.access.mode === 'secured'
          ? new AccessTokens(config.access.apiKey, config.access.apiSecret, config.tokenPolicy)
          : undefined,
    });
    const address = await api.listen(config.host, config.port);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    const apiServer = api;
    if (joined) {
      await joined.join({
        url: config.cluster?.url ?? url,
        load: () => {
          const totals = conference.stats();
          return { rooms: totals.rooms, participants: totals.participants, streams: totals.forwardedStreams };
        },
        openOffers: apiServer.openOffers,
        openRoomIds: () => openRoomIds(conference),
        take: async (roomId) => void (await conference.registry.open(roomId)),
        localRooms: () => conference.registry.rooms().map((room) => room.id),
        handOver: (roomId, to) => conference.registry.handOver(roomId, { url: to.url, nodeId: to.id }),
      });
    }
    let closing: Promise<void> | undefined;
    let draining: Promise<void> | undefined;
    return {
      url,
      address,
      conference,
      media,
      database,
      get webhooks() {
        return webhooks;
      },
      cluster: joined,
      drain: () =>
        (draining ??= (async () => {
          if (!joined) return;
          await joined.drain();
          // The ROOM_MOVED notices are on their way to the clients before the sockets close.
          await new Promise((resolve) => setTimeout(resolve, 300));
        })()),
      close: () =>
        (closing ??= (async () => {
          await apiServer.close();
          await conference.shutdown();
          await joined?.close();
          webhooks?.stop();
          // Peers that left just before shutdown may still be releasing their transports.
          await media.settled();
          if (options.terminateMediaOnClose) media.terminate();
          else media.stop();
          await database.close();
        })()),
    };
  } catch (error) {
    await api?.close().catch(() => undefined);
    webhooks?.stop();
    await cluster?.close().catch(() => undefined);
    media.stop();
    await database.close().catch(() => undefined);
    // A port in use is main.ts's to say in one sentence; anything else is logged with its stack.
    if ((error as { code?: string }).code !== 'EADDRINUSE') logger.error({ err: error }, 'start-up failed');
    throw error;
  }
}

/** Every open room in the shared database (failover looks for those nobody holds). */
async function openRoomIds(conference: ConferenceService): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  do {
    const page = await conference.listOpenRooms({ first: 100, after });
    ids.push(...page.items.map((room) => room.id));
    after = page.hasNextPage ? page.endCursor : null;
  } while (after);
  return ids;
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
