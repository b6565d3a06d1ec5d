import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startApp, type RunningApp } from '../../src/app';
import { loadConfig } from '../../src/config';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
}

/** A GraphQL server reached over HTTP and graphql-ws, as any client would. */
export interface GraphQLEndpoint {
  url: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  ws(connectionParams?: Record<string, unknown>): Client;
  /** Closes the graphql-ws clients it made. */
  disconnect(): Promise<void>;
}

/** Talks to the server at `url` (for instance one running in another process). */
export function graphqlEndpoint(url: string): GraphQLEndpoint {
  const clients: Client[] = [];
  return {
    url,
    async gql(query, variables, headers) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse;
      return { ...body, status: response.status } as never;
    },
    ws(connectionParams) {
      const client = createClient({
        url: `${url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async disconnect() {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
    },
  };
}

export interface TestServer extends GraphQLEndpoint {
  app: RunningApp;
  dataDir: string;
  /** Stops the server; the data directory is kept for a restart. */
  stop(): Promise<void>;
  /** Stops the server and deletes its data. */
  dispose(): Promise<void>;
}

/** The PostgreSQL URL for the PostgreSQL runs of the suites, when the environment gives one. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL;

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
}

/** Starts the real server (real database, real medooze endpoint) on 127.0.0.1 and an ephemeral port. */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'sfu-test-')));
  // Tests join and signal much faster than a person: the per-address join limit and the
  // per-participant mutation limit have tests of their own.
  const config = loadConfig({
    JOINS_PER_SECOND_PER_ADDRESS: '0',
    MUTATIONS_PER_SECOND_PER_PARTICIPANT: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app = await startApp(config);
  const endpoint = graphqlEndpoint(app.url);
  let stopped = false;
  const server: TestServer = {
    ...endpoint,
    app,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await endpoint.disconnect();
      await app.close();
    },
    async dispose() {
      await server.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Collects a subscription's values until `count` arrived or it ends; rejects on error or timeout. */
export function collect<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  count: number,
  timeoutMs = 5000,
): { values: Promise<T[]>; ready: Promise<void>; stop: () => void } {
  const values: T[] = [];
  let stop = () => undefined as void;
  let markReady = () => undefined as void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<T[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out with ${values.length}/${count} values: ${JSON.stringify(values)}`));
    }, timeoutMs);
    const finish = (error?: unknown) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(values);
    };
    stop = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) {
            stop();
            finish(Object.assign(new Error(value.errors[0]?.message), { errors: value.errors }));
            return;
          }
          values.push(value.data as T);
          if (values.length >= count) {
            stop();
            finish();
          }
        },
        error: (error) => finish(Object.assign(new Error('subscription error'), { errors: error })),
        complete: () => finish(),
      },
    );
  });
  // graphql-ws has no "subscribed" acknowledgement; the connection being acknowledged and a short
  // settle is the closest observable point. Tests that need it wait on `ready`.
  const off = client.on('connected', () => {
    off();
    setTimeout(markReady, 100);
  });
  return { values: done, ready, stop: () => stop() };
}

export interface PublishedTrack {
  participant: string;
  id: string;
  kind: 'AUDIO' | 'VIDEO';
  muted: boolean;
}

/** Every track published in a room now, with its publisher's name (read through the API). */
export async function tracksOf(
  server: GraphQLEndpoint,
  roomId: string,
  headers?: Record<string, string>,
): Promise<PublishedTrack[]> {
  const response = await server.gql<{
    room: {
      participants: Array<{
        name: string;
        streams: Array<{ tracks: Array<{ id: string; kind: 'AUDIO' | 'VIDEO'; muted: boolean }> }>;
      }>;
    };
  }>(
    `query ($id: ID!) { room(id: $id) { participants { name streams { tracks { id kind muted } } } } }`,
    { id: roomId },
    headers,
  );
  if (!response.data) throw new Error(`room query failed: ${JSON.stringify(response.errors)}`);
  return response.data.room.participants.flatMap((participant) =>
    participant.streams.flatMap((stream) =>
      stream.tracks.map((track) => ({ participant: participant.name, ...track })),
    ),
  );
}
