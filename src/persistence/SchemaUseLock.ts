import type pg from 'pg';
import { logger } from '../shared/logger';

/** Who shares a PostgreSQL schema: one server alone, or the nodes of one cluster together. */
export type SchemaUse = 'alone' | 'cluster';

/** Another server uses this schema in a way this one may not join: one sentence, no stack. */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
  constructor(schema: string, use: SchemaUse) {
    super(
      use === 'alone'
        ? `Another server already uses PostgreSQL schema "${schema}" of DATABASE_URL: run one server per database, ` +
            'or set REDIS_URL on every server to run them as a cluster.'
        : `A server that is not a cluster node already uses PostgreSQL schema "${schema}" of DATABASE_URL: ` +
            'stop it, or set REDIS_URL on it too.',
    );
  }
}

/** First key of the advisory lock pair; the second is the schema's hash. */
const LOCK_CLASS = 0x5f0;
/** While the lock connection is down (a database restart): how often to take the lock back. */
const RETAKE_EVERY_MS = 1000;

/**
 * A session advisory lock on the schema, held on a connection of its own for the server's life:
 * exclusive for a server running alone, shared by the nodes of a cluster. So two servers without
 * REDIS_URL on one database are refused at start instead of each taking the other's rooms for its
 * own, and a server alone knows it is the only writer: its registry then serves the open-room
 * list from memory (RoomRegistry `soleWriter`), as the embedded database's DATA_DIR lock allows.
 *
 * The lock lives with its connection: after a database restart it is taken back as soon as the
 * database answers. Should another server have taken it meanwhile, that is logged every second
 * until it is back: the one server that started first keeps running.
 */
export class SchemaUseLock {
  #client: pg.Client | null = null;
  #closed = false;
  #retaking: NodeJS.Timeout | null = null;
  /** Whether this outage was reported already (once per outage, not every second). */
  #reported = false;

  private constructor(
    private readonly connection: pg.ClientConfig,
    private readonly schema: string,
    private readonly use: SchemaUse,
  ) {}

  static async acquire(connection: pg.ClientConfig, schema: string, use: SchemaUse): Promise<SchemaUseLock> {
    const lock = new SchemaUseLock(connection, schema, use);
    if (!(await lock.#take())) {
      await lock.release();
      throw new DatabaseInUseError(schema, use);
    }
    return lock;
  }

  async #take(): Promise<boolean> {
    // Loaded on use: a server on the embedded default never loads PostgreSQL's driver.
    const { Client } = (await import('pg')).default;
    const client = new Client(this.connection);
    // A restart of the database ends the connection (and the lock): take it back.
    client.on('error', (error) => logger.warn({ err: error }, 'the schema lock connection failed'));
    client.on('end', () => {
      if (this.#client === client) this.#client = null;
      this.#scheduleRetake();
    });
    try {
      await client.connect();
      const fn = this.use === 'alone' ? 'pg_try_advisory_lock' : 'pg_try_advisory_lock_shared';
      const { rows } = await client.query<{ locked: boolean }>(`SELECT ${fn}($1, hashtext($2)) AS locked`, [
        LOCK_CLASS,
        this.schema,
      ]);
      if (rows[0]?.locked) {
        this.#client = client;
        return true;
      }
    } catch (error) {
      logger.debug({ err: error }, 'taking the schema lock failed');
    }
    this.#client = null;
    await client.end().catch(() => undefined);
    return false;
  }

  #scheduleRetake(): void {
    if (this.#closed || this.#retaking || this.#client) return;
    this.#retaking = setTimeout(() => {
      this.#retaking = null;
      void this.#take().then((taken) => {
        if (taken) {
          if (this.#reported) logger.info({ schema: this.schema }, 'took the schema lock back');
          this.#reported = false;
        } else if (!this.#closed) {
          if (!this.#reported)
            logger.error(
              { schema: this.schema },
              'the schema lock could not be taken back after the database connection ended (the database is ' +
                'away, or another server took it): trying again every second',
            );
          this.#reported = true;
          this.#scheduleRetake();
        }
      });
    }, RETAKE_EVERY_MS);
    this.#retaking.unref();
  }

  async release(): Promise<void> {
    this.#closed = true;
    if (this.#retaking) clearTimeout(this.#retaking);
    this.#retaking = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }
}
