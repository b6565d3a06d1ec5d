import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { type ExecutionArgs, type ExecutionResult, specifiedRules } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Limits } from '../config';
import { ParticipantTokens } from '../access/ParticipantTokens';
import type { SignalingLink } from '../conference/ports';
import type { Offer } from '../conference/Participant';
import { Access } from './access';
import { type ApiContext, bearerToken, qualityLoader } from './context';
import { DocumentCache } from './documentCache';
import { PreparedOperations } from './preparedOperations';
import { type RequestRefusal, requestRefusal } from './requestRefusal';
import { answerGraphQLPost, isGraphQLPost, parseSize } from './graphqlPost';
import { formatError, formatErrors } from './errors';
import { documentLimitRules, queryLimitRules, tooManyOperations } from './limits';
import { mayReadMetrics, nodeCors, OriginPolicy, securityHeaders } from './edge';
import { LiveSubscriptions } from './subscriptions';
import { type Limiter, RateLimiter } from './RateLimiter';
import { JoinedSockets } from './JoinedSockets';
import { executeCompiled } from './compiledExecute';
import { batchWritesPerTick } from './tickBatchedWrites';
import { SocketLiveness } from './SocketLiveness';
import { sharedSubscribe } from './sharedSubscribe';
import { SubscriptionOutlet } from './subscriptionOutlet';
import { Metrics } from './metrics';
import { recordingDownload } from './recordingDownload';
import { buildApiSchema } from './schema';
import type { NodeView } from './cluster/gateway';
import { ClusterEdge } from './cluster/ClusterEdge';
import { jsonErrors, withFormattedErrors } from './responses';
import { type ApiServerOptions, DEFAULT_LIMITS } from './serverOptions';

export type { ApiServerOptions, HealthReport } from './serverOptions';
export { DEFAULT_LIMITS } from './serverOptions';

/** HTTP + graphql-ws on one port: the only door into the server. */
export class ApiServer {
  readonly #http: Server;
  readonly #ws: WebSocketServer;
  readonly #apollo: ApolloServer<ApiContext>;
  readonly #wsDisposable: { dispose: () => void | Promise<void> };
  readonly #prepared: PreparedOperations;
  readonly #refusal: RequestRefusal;
  readonly #metrics: Metrics;
  readonly #joinLimiter: Limiter;
  readonly #edge: ClusterEdge | null;
  readonly #nodeOrigins: () => readonly string[];
  readonly #participantTokens = new ParticipantTokens();
  readonly #joinedSockets = new JoinedSockets(this.#participantTokens);
  readonly #chatLimiters = {
    messages: new RateLimiter(5, 'messages', 'from this participant'),
    attributes: new RateLimiter(5, 'attribute changes', 'from this participant'),
  };
  readonly #liveness: SocketLiveness;
  readonly #subscriptions: LiveSubscriptions;
  readonly #participantLimiter: RateLimiter;
  readonly #moderationLimiter: Limiter;
  readonly #origins: OriginPolicy | null;
  #started = false;
  #closing: Promise<void> | undefined;

  constructor(private readonly options: ApiServerOptions) {
    const schema = buildApiSchema();
    this.#metrics = new Metrics(options.conference);
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#refusal = requestRefusal({ schema, maxItems: limits.maxItems, secured: !!options.tokens });
    this.#subscriptions = new LiveSubscriptions(limits.subscriptionsPerRoom, (roomId, count) =>
      options.cluster?.reportSubscriptions(roomId, count),
    );
    this.#participantLimiter = new RateLimiter(
      limits.mutationsPerSecond,
      'mutations',
      'from one participant',
    );
    this.#moderationLimiter =
      options.sharedModerationLimiter ??
      new RateLimiter(limits.mutationsPerSecond, 'moderation calls', 'from one moderator');
    const nodeOrigins = () => options.cluster?.origins() ?? [];
    this.#nodeOrigins = nodeOrigins;
    this.#origins = options.tokens ? null : new OriginPolicy(options.allowedOrigins ?? [], nodeOrigins);
    // Every rule reports (a document breaking several gets every code); depth and cost first, as before.
    const limitRules = [
      ...queryLimitRules(options.queryLimits ?? { maxDepth: 12, maxCost: 5000 }),
      ...documentLimitRules(limits),
    ];
    const formatAndCount: typeof formatError = (formatted, error) => {
      const shaped = formatError(formatted, error);
      this.#metrics.countError(shaped.extensions?.code);
      return shaped;
    };
    this.#http = createServer();
    const origins = this.#origins;
    this.#ws = new WebSocketServer({
      server: this.#http,
      path: '/graphql',
      maxPayload: 1024 * 1024,
      // Open mode: a socket from another web page (or a rebound host name) is refused before the upgrade.
      verifyClient: origins
        ? (info: { req: { headers: import('node:http').IncomingHttpHeaders } }) =>
            origins.refusal(info.req.headers) === null
        : undefined,
    });
    batchWritesPerTick(this.#ws);
    this.#liveness = new SocketLiveness(this.#ws);
    this.#joinLimiter =
      options.sharedJoinLimiter ?? new RateLimiter(options.joinsPerSecondPerAddress ?? 20, 'joins');
    this.#edge = options.cluster
      ? new ClusterEdge(options.cluster, (query) => documents.parse(query), {
          room: (id) => options.conference.registry.live(id) !== undefined,
          participant: (id) => options.conference.registry.participant(id) !== undefined,
        })
      : null;
    this.#edge?.attach(options.conference, this.#subscriptions, this.#participantTokens);
    // A participant token dies with its participant.
    options.conference.observer.on('participantLeft', (_roomId, _reason, participantId) => {
      this.#participantTokens.revoke(participantId);
      options.cluster?.participantLeft(participantId);
    });
    const context = (
      ctx: {
        connectionParams?: Readonly<Record<string, unknown>>;
        extra: { socket: WebSocket; request: { socket: { remoteAddress?: string } } };
      },
      id: string,
    ): ApiContext => ({
      ...this.#context(
        this.#joinedSockets.tokenOf(ctx.extra.socket, bearerToken(ctx.connectionParams?.authorization)),
        ctx.extra.request.socket.remoteAddress,
      ),
      signalingLink: this.#liveness.link(ctx.extra.socket),
      joinedOnSocket: (token, remote) => this.#joinedSockets.joined(ctx.extra.socket, token, remote),
      subscriptionOutlet: new SubscriptionOutlet(ctx.extra.socket, id),
    });
    const documents = new DocumentCache([...specifiedRules, ...limitRules]);
    this.#prepared = new PreparedOperations({
      schema,
      documents,
      refusal: this.#refusal,
      format: formatAndCount,
    });
    const prepared = this.#prepared;
    this.#metrics.watchGraphQLExecutors(() => ({ prepared: prepared.answered, apollo: prepared.declined }));
    this.#wsDisposable = useServer<Record<string, unknown>>(
      {
        schema,
        context,
        // Repeated operations are parsed and validated once (one schema, one set of rules).
        parse: documents.parse,
        validate: documents.validate,
        // Subscriptions per socket: past the cap, each new one is refused with a code.
        onSubscribe: (ctx) =>
          tooManyOperations(Object.keys(ctx.subscriptions).length, limits.subscriptionsPerConnection),
        execute: (args) =>
          this.#guarded(args, () => (this.#edge ? this.#edge.execute(args) : executeCompiled(args))),
        subscribe: (args) =>
          this.#guarded(args, () =>
            sharedSubscribe(args, (args.contextValue as ApiContext).subscriptionOutlet),
          ),
        onNext: (_ctx, _id, _payload, _args, result) =>
          withFormattedErrors(result as ExecutionResult, formatAndCount),
        onError: (_ctx, _id, _payload, errors) => formatErrors(errors, formatAndCount),
      },
      this.#ws,
    );
    this.#apollo = new ApolloServer<ApiContext>({
      schema,
      formatError: formatAndCount,
      validationRules: limitRules,
      includeStacktraceInErrorResponses: false,
      // Shutdown is ordered by main.ts; Apollo's own handler would stop it and re-raise the signal midway.
      stopOnTerminationSignals: false,
      plugins: [
        {
          requestDidStart: async () => ({
            didResolveOperation: async ({ document, request, contextValue }) => {
              const refusal = this.#refusal(document, request.operationName, request.variables, contextValue);
              if (refusal) throw refusal;
            },
          }),
        },
        ApolloServerPluginDrainHttpServer({ httpServer: this.#http }),
        ApolloServerPluginLandingPageDisabled(),
        // Apollo installs these by default, and a plugin with `willResolveField` (cache control's)
        // makes Apollo wrap every field resolver of the schema, which graphql-ws shares: every field
        // of every operation paid for cache hints nobody reads (no HTTP caching of GraphQL here).
        ApolloServerPluginCacheControlDisabled(),
        ApolloServerPluginInlineTraceDisabled(),
      ],
    });
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await this.#apollo.start();
    this.#started = true;
    const app = express();
    app.disable('x-powered-by');
    // No ETag on GraphQL responses (a hash of every body, for POST answers no cache keeps); the
    // static files keep theirs (serve-static sets its own).
    app.set('etag', false);
    app.use(securityHeaders(this.#nodeOrigins));
    if (this.options.cluster) app.use(nodeCors(this.#nodeOrigins));
    if (this.#origins) {
      const originCheck = this.#origins.middleware();
      // A node forwarding an operation checked its client's origin already.
      app.use((req, res, next) =>
        this.#edge?.forwardedByNode(req.headers) ? next() : originCheck(req, res, next),
      );
    }
    app.get('/healthz', async (_req, res) => {
      const report = await this.options.health();
      res.status(report.status === 'ok' ? 200 : 503).json(report);
    });
    app.get('/metrics', async (req, res) => {
      if (
        !mayReadMetrics(
          bearerToken(req.headers.authorization),
          this.options.tokens,
          this.options.metricsToken,
        )
      ) {
        res.status(401).json({
          errors: [
            {
              message: 'Metrics need METRICS_TOKEN or an admin token.',
              extensions: { code: 'UNAUTHENTICATED' },
            },
          ],
        });
        return;
      }
      res.type(this.#metrics.registry.contentType).send(await this.#metrics.registry.metrics());
    });
    if (this.options.recordingsDir) {
      app.get(
        '/recordings/:recording/:file',
        recordingDownload({
          conference: this.options.conference,
          recordingsDir: this.options.recordingsDir,
          access: (token, address) => this.#context(token, address).access,
        }),
      );
    }
    const explorerDir = path.join(this.options.clientDir, 'explorer');
    app.get('/graphql', (req, res, next) => {
      // A browser opening /graphql gets the explorer; GraphQL GET requests carry a query.
      if (req.query.query === undefined && req.accepts(['application/json', 'text/html']) === 'text/html') {
        const page = path.join(explorerDir, 'index.html');
        if (existsSync(page)) return res.sendFile(page);
      }
      next();
    });
    app.use(
      '/graphql',
      express.json({ limit: this.options.bodyLimit ?? '1mb' }),
      (req, res, next) => void this.#forwardHttp(req, res, next),
      expressMiddleware(this.#apollo, {
        context: async ({ req }) =>
          this.#context(bearerToken(req.headers.authorization), this.#clientAddress(req)),
      }),
    );
    app.use('/explorer', express.static(explorerDir, { index: false, fallthrough: false }));
    app.use(express.static(path.join(this.options.clientDir, 'app')));
    app.use(jsonErrors);
    const edge = this.#edge;
    const post = {
      apollo: this.#apollo,
      context: (req: IncomingMessage) =>
        this.#context(bearerToken(req.headers.authorization), this.#clientAddress(req)),
      origins: this.#origins,
      bodyLimit: parseSize(this.options.bodyLimit ?? '1mb'),
      prepared: this.#prepared,
      nodeOrigins: this.#nodeOrigins,
      ...(edge && {
        forwardedByNode: (req: IncomingMessage) => edge.forwardedByNode(req.headers),
        forward: (req: IncomingMessage, body: unknown) => edge.forwardPost(req, body),
      }),
    };
    // GraphQL POSTs (join, answer, rooms, ...) skip express: see answerGraphQLPost.
    this.#http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (isGraphQLPost(req)) void answerGraphQLPost(req, res, post);
      else app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const address = this.#http.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${shown}:${address.port}`;
    return address;
  }

  /**
   * Cluster, on the node holding a participant: its offers for a `negotiation` subscription whose
   * socket is on another node (the token is checked here, as for a local socket).
   */
  openOffers = (participantId: string, token: string, link: SignalingLink): AsyncIterableIterator<Offer> => {
    const { access, conference, subscriptions } = this.#context(token, undefined);
    const participant = access.participant(participantId);
    return subscriptions.track(conference.negotiation(participant, link), access.subscriptionOwner());
  };

  /** This node as `Node` and /healthz show it. */
  readonly #localNode = (): NodeView => {
    if (this.options.cluster) return this.options.cluster.self();
    const totals = this.options.conference.stats();
    return {
      id: this.options.nodeId ?? 'local',
      url: this.#url ?? '',
      alive: true,
      draining: false,
      rooms: totals.rooms,
      participants: totals.participants,
      streams: totals.forwardedStreams,
      load: totals.participants + totals.forwardedStreams,
    };
  };
  #url: string | undefined;

  /** The client's address: the socket's, or for an operation forwarded by a node, its client's. */
  #clientAddress(req: IncomingMessage): string | undefined {
    return this.#edge ? this.#edge.clientAddress(req) : req.socket.remoteAddress;
  }

  /** Express's path (bodies it parsed: compressed or unusual requests): forwarded like the fast path. */
  async #forwardHttp(req: express.Request, res: express.Response, next: express.NextFunction): Promise<void> {
    const forwarded = req.method === 'POST' ? await this.#edge?.forwardPost(req, req.body) : null;
    if (!forwarded) return next();
    res.status(forwarded.status).json(forwarded.result);
  }

  /** What a request or socket's operations get: the use cases and what its bearer may do. */
  #context(token: string | undefined, address: string | undefined): ApiContext {
    const { conference, tokens } = this.options;
    return {
      conference,
      token,
      clientAddress: address ?? 'unknown',
      joinLimiter: this.#joinLimiter,
      limits: this.#chatLimiters,
      webhookFailures: this.options.webhookFailures ?? (async () => []),
      participantTokens: this.#participantTokens,
      subscriptions: this.#subscriptions,
      participantLimiter: this.#participantLimiter,
      moderationLimiter: this.#moderationLimiter,
      qualityLoader: qualityLoader(conference),
      access: new Access(
        conference,
        tokens ?? null,
        this.#participantTokens,
        token,
        address,
        this.options.cluster ?? null,
      ),
      cluster: this.options.cluster,
      localNode: this.#localNode,
    };
  }

  /** graphql-ws: the same checks as HTTP; a refusal is the operation's one result. */
  #guarded<T>(args: ExecutionArgs, run: () => T): T | ExecutionResult {
    const refusal = this.#refusal(
      args.document,
      args.operationName,
      args.variableValues as Record<string, unknown> | undefined,
      args.contextValue as ApiContext,
    );
    return refusal ? { errors: [refusal] } : run();
  }

  /** Stops accepting, ends subscriptions, drains HTTP. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#liveness.stop();
      for (const socket of this.#ws.clients) socket.close(1001, 'server shutting down');
      await this.#wsDisposable.dispose();
      await new Promise<void>((resolve) => this.#ws.close(() => resolve()));
      if (this.#started) await this.#apollo.stop();
      else await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    })();
    return this.#closing;
  }
}
