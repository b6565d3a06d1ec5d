import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ensureBuilt, exited, listening, startServer } from './process';
import { type GraphQLEndpoint, graphqlEndpoint } from './server';

/** One node of a test cluster: the shipped entry point in a process of its own. */
export interface ClusterNode extends GraphQLEndpoint {
  id: string;
  child: ChildProcess;
  /** What it logged (JSON lines), for assertions and failure reports. */
  log(): string;
  /** SIGKILL: no drain, no goodbye (its leases lapse). */
  kill(): Promise<void>;
  /** SIGTERM: drains (moves its rooms) and exits; resolves with the exit code. */
  terminate(): Promise<number | null>;
}

export interface ClusterOptions {
  databaseUrl: string;
  redisUrl?: string;
  /** Shared by the nodes; unique per test file so runs never see each other's keys. */
  prefix?: string;
  env?: Record<string, string>;
}

/** A fresh key prefix for one test cluster. */
export const clusterPrefix = () => `test-${randomBytes(4).toString('hex')}:`;

/**
 * A PostgreSQL schema of one test cluster's own (other runs' open rooms would otherwise be taken
 * over by its nodes), and how to drop it afterwards.
 */
export function clusterDatabase(baseUrl: string): { url: string; drop: () => Promise<void> } {
  const schema = `cluster_${randomBytes(4).toString('hex')}`;
  return {
    url: `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}schema=${schema}`,
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Starts a node named `id` of the cluster; resolves once it listens and joined. */
export async function startNode(
  id: string,
  options: ClusterOptions & { prefix: string },
): Promise<ClusterNode> {
  ensureBuilt();
  const child = startServer({
    REDIS_URL: options.redisUrl ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: options.prefix,
    DATABASE_URL: options.databaseUrl,
    NODE_ID: id,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    JOINS_PER_SECOND_PER_ADDRESS: '0',
    MUTATIONS_PER_SECOND_PER_PARTICIPANT: '0',
    ...options.env,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ended = exited(child);
  const url = await listening(child);
  // The node joins its cluster right after it listens (heartbeat first).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const endpoint = graphqlEndpoint(url);
  return {
    ...endpoint,
    id,
    child,
    log: () => output,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await ended;
    },
    async terminate() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return (await ended).code;
    },
  };
}

/** A room event as the cluster tests read it. */
export interface EventRow {
  sequence: number;
  type: string;
  participantId: string | null;
  reason: string | null;
}

const EVENTS = `subscription ($roomId: ID!, $after: Int) {
  roomEvents(roomId: $roomId, after: $after) { sequence type participantId reason }
}`;

/** Follows a room's events through `node` from `after` (null: from now), keeping every one and every error. */
export function follow(node: GraphQLEndpoint, roomId: string, after: number | null) {
  const events: EventRow[] = [];
  const errors: unknown[] = [];
  const stop = node.ws().subscribe<{ roomEvents: EventRow }>(
    { query: EVENTS, variables: { roomId, after } },
    {
      next: (value) => (value.data ? events.push(value.data.roomEvents) : errors.push(value.errors)),
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return { events, errors, stop };
}

/** Polls `condition` every 50 ms; throws naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether the events are numbered from 1 with no gap and no duplicate. */
export const contiguous = (events: EventRow[], from = 1) =>
  events.every((event, index) => event.sequence === from + index);
