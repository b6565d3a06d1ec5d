import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be between 0 and 65535`)
    .max(65535, `${name} must be between 0 and 65535`);

const boolean = (name: string) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be true or false` })
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

const schema = z
  .object({
    HOST: z.string().min(1, 'HOST must not be empty').default('127.0.0.1'),
    PORT: port('PORT').default(8080),
    DATABASE_URL: z
      .string()
      .regex(
        /^postgres(ql)?:\/\//,
        'DATABASE_URL must be a postgresql:// URL (leave it unset for the embedded database)',
      )
      .optional(),
    /** How long a start waits for DATABASE_URL's server to answer (it may be starting too). */
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce
      .number({ error: 'DATABASE_CONNECT_TIMEOUT_MS must be a number' })
      .int()
      .min(0, 'DATABASE_CONNECT_TIMEOUT_MS must be between 0 and 600000')
      .max(600_000, 'DATABASE_CONNECT_TIMEOUT_MS must be between 0 and 600000')
      .default(10_000),
    DATA_DIR: z.string().min(1).default('data'),
    RECORDINGS_DIR: z.string().min(1).optional(),
    LOG_LEVEL: z
      .enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
      .default('info'),
    MEDIA_ANNOUNCED_IP: z
      .string()
      .refine(
        (ip) => isIP(ip) === 4,
        'MEDIA_ANNOUNCED_IP must be a literal IPv4 address (medooze announces it as is)',
      )
      .default('127.0.0.1'),
    MEDIA_LISTEN_IP: z
      .string()
      .refine(
        (ip) => isIP(ip) === 4,
        'MEDIA_LISTEN_IP must be a literal IPv4 address of this host (or 0.0.0.0)',
      )
      .optional(),
    MEDIA_PORT_MIN: port('MEDIA_PORT_MIN').optional(),
    MEDIA_LOG: boolean('MEDIA_LOG').default(false),
    MEDIA_PORT_MAX: port('MEDIA_PORT_MAX').optional(),
    ROOM_AUTO_CREATE: boolean('ROOM_AUTO_CREATE').default(true),
    ROOM_DEFAULT_MAX_PARTICIPANTS: z.coerce
      .number()
      .int()
      .min(1, 'ROOM_DEFAULT_MAX_PARTICIPANTS must be at least 1')
      .max(1000, 'ROOM_DEFAULT_MAX_PARTICIPANTS must be at most 1000')
      .default(16),
    GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
    GRAPHQL_MAX_COST: z.coerce.number().int().min(10).max(1_000_000).default(5000),
    ROOMS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    JOINS_PER_SECOND_PER_ADDRESS: z.coerce.number().min(0).max(100_000).default(20),
    ROOM_EMPTY_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
    PARTICIPANT_TIMEOUT_MS: z.coerce
      .number({ error: 'PARTICIPANT_TIMEOUT_MS must be a number' })
      .int('PARTICIPANT_TIMEOUT_MS must be a whole number')
      .min(0, 'PARTICIPANT_TIMEOUT_MS must be 0 (never) or between 1000 and 600000')
      .max(600_000, 'PARTICIPANT_TIMEOUT_MS must be at most 600000')
      .refine((ms) => ms === 0 || ms >= 1000, 'PARTICIPANT_TIMEOUT_MS must be 0 (never) or at least 1000')
      .default(4_000),
    ACCESS_MODE: z.enum(['open', 'secured'], { error: 'ACCESS_MODE must be open or secured' }).optional(),
    API_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,64}$/, 'API_KEY must be 3 to 64 letters, digits, "_", "-" or "."')
      .optional(),
    API_SECRET: z.string().min(32, 'API_SECRET must be at least 32 characters').optional(),
    ALLOWED_ORIGINS: z
      .string()
      .refine(
        (list) => list.split(',').every((item) => isOrigin(item.trim())),
        'ALLOWED_ORIGINS must be a comma-separated list of origins such as https://app.example.com',
      )
      .optional(),
    METRICS_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{16,256}$/, 'METRICS_TOKEN must be 16 to 256 visible ASCII characters')
      .optional(),
    TOKEN_MAX_TTL: z.coerce
      .number({ error: 'TOKEN_MAX_TTL must be a number of seconds' })
      .int('TOKEN_MAX_TTL must be a whole number of seconds')
      .min(60, 'TOKEN_MAX_TTL must be at least 60 seconds')
      .max(31_536_000, 'TOKEN_MAX_TTL must be at most 31536000 seconds (a year)')
      .default(86_400),
    TOKEN_AUDIENCE: z
      .string()
      .regex(/^[\x21-\x7e]{1,256}$/, 'TOKEN_AUDIENCE must be 1 to 256 visible ASCII characters')
      .optional(),
    GRAPHQL_MAX_ROOT_FIELDS: z.coerce
      .number()
      .int()
      .min(1, 'GRAPHQL_MAX_ROOT_FIELDS must be at least 1')
      .max(1000, 'GRAPHQL_MAX_ROOT_FIELDS must be at most 1000')
      .default(10),
    GRAPHQL_MAX_ALIASES: z.coerce
      .number()
      .int()
      .min(0, 'GRAPHQL_MAX_ALIASES must be 0 or more')
      .max(10_000, 'GRAPHQL_MAX_ALIASES must be at most 10000')
      .default(30),
    GRAPHQL_MAX_ITEMS: z.coerce
      .number()
      .int()
      .min(100, 'GRAPHQL_MAX_ITEMS must be at least 100')
      .max(10_000_000, 'GRAPHQL_MAX_ITEMS must be at most 10000000')
      .default(50_000),
    SUBSCRIPTIONS_PER_CONNECTION: z.coerce
      .number()
      .int()
      .min(1, 'SUBSCRIPTIONS_PER_CONNECTION must be at least 1')
      .max(100, 'SUBSCRIPTIONS_PER_CONNECTION must be at most 100')
      .default(100),
    SUBSCRIPTIONS_PER_ROOM: z.coerce
      .number()
      .int()
      .min(1, 'SUBSCRIPTIONS_PER_ROOM must be at least 1')
      .max(100_000, 'SUBSCRIPTIONS_PER_ROOM must be at most 100000')
      .default(1000),
    MUTATIONS_PER_SECOND_PER_PARTICIPANT: z.coerce
      .number()
      .min(0, 'MUTATIONS_PER_SECOND_PER_PARTICIPANT must be 0 or more')
      .max(10_000, 'MUTATIONS_PER_SECOND_PER_PARTICIPANT must be at most 10000')
      .default(10),
    TRACKS_MAX_PER_PARTICIPANT: z.coerce
      .number()
      .int()
      .min(1, 'TRACKS_MAX_PER_PARTICIPANT must be at least 1')
      .max(256, 'TRACKS_MAX_PER_PARTICIPANT must be at most 256')
      .default(16),
    QUALITY_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
    QUALITY_RETENTION_HOURS: z.coerce
      .number()
      .min(0)
      .max(24 * 366)
      .default(24 * 7),
    WEBHOOK_URLS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((url) => url.trim())
          .filter(Boolean),
      )
      .refine(
        (urls) => urls.every((url) => /^https?:\/\/[^\s]+$/.test(url) && URL.canParse(url)),
        'WEBHOOK_URLS must be comma-separated http:// or https:// URLs',
      )
      .optional(),
    WEBHOOK_SECRET: z
      .string()
      .regex(
        /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/,
        'WEBHOOK_SECRET must be whsec_ followed by base64 (at least 12 bytes)',
      )
      .optional(),
    WEBHOOK_MAX_AGE_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .max(30 * 86_400_000)
      .default(86_400_000),
    WEBHOOK_PRIVATE_MESSAGES: boolean('WEBHOOK_PRIVATE_MESSAGES').default(false),
    REDIS_URL: z
      .string()
      .regex(
        /^rediss?:\/\//,
        'REDIS_URL must be a redis:// or rediss:// URL (leave it unset for a single node)',
      )
      .optional(),
    REDIS_PREFIX: z
      .string()
      .regex(/^[\x21-\x7e]{1,64}$/, 'REDIS_PREFIX must be 1 to 64 visible ASCII characters')
      .default('sfu:'),
    NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'NODE_ID must be 1 to 64 letters, digits, "_", "-" or "."')
      .optional(),
    NODE_URL: z
      .string()
      .refine((url) => isOrigin(url), 'NODE_URL must be an origin such as http://10.0.0.5:8080')
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.WEBHOOK_URLS?.length && !env.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SECRET'],
        message: 'WEBHOOK_URLS needs WEBHOOK_SECRET (whsec_<base64>) to sign what it sends',
      });
    }
    if (env.REDIS_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message:
          'REDIS_URL makes this a cluster node, which needs DATABASE_URL (PostgreSQL, shared by the nodes)',
      });
    }
    const secured = env.ACCESS_MODE === 'secured' || (env.ACCESS_MODE === undefined && env.API_SECRET);
    if (secured && (!env.API_KEY || !env.API_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.API_KEY ? 'API_SECRET' : 'API_KEY'],
        message: 'Secured mode needs both API_KEY and API_SECRET',
      });
    }
    const { MEDIA_PORT_MIN: min, MEDIA_PORT_MAX: max } = env;
    if ((min === undefined) !== (max === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIA_PORT_MIN'],
        message: 'MEDIA_PORT_MIN and MEDIA_PORT_MAX must be set together',
      });
    } else if (min !== undefined && max !== undefined) {
      // medooze silently widens ranges under 50 ports and misbehaves on privileged ones; refuse instead.
      if (min < 1024)
        ctx.addIssue({
          code: 'custom',
          path: ['MEDIA_PORT_MIN'],
          message: 'MEDIA_PORT_MIN must be at least 1024',
        });
      if (max - min < 50)
        ctx.addIssue({
          code: 'custom',
          path: ['MEDIA_PORT_MAX'],
          message: 'MEDIA_PORT_MAX must be at least MEDIA_PORT_MIN + 50',
        });
    }
  });

/** `http(s)://host[:port]` and nothing else (no path, no trailing slash). */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

/** What one request, socket, participant or room may use (docs/security.md says what each protects). */
export interface Limits {
  /** Root fields (aliases included) per operation. */
  maxRootFields: number;
  /** Aliases per document. */
  maxAliases: number;
  /** List items an operation may ask for, with page sizes read from arguments, variables and defaults. */
  maxItems: number;
  subscriptionsPerConnection: number;
  /** roomEvents subscriptions following one room. */
  subscriptionsPerRoom: number;
  /** Event-producing mutations per participant (or moderator) per second (0: no limit). */
  mutationsPerSecond: number;
  tracksPerParticipant: number;
}

export interface Config {
  host: string;
  port: number;
  database:
    { kind: 'postgresql'; url: string; connectTimeoutMs?: number } | { kind: 'embedded'; dataDir: string };
  logLevel: (typeof LOG_LEVELS)[number];
  /** `log`: medooze's own lines on stdout (MEDIA_LOG). */
  media: {
    announcedIp: string;
    /** MEDIA_LISTEN_IP; unset: the media layer binds the announced address if it is local, else 0.0.0.0. */
    listenIp?: string;
    portRange?: { min: number; max: number };
    log: boolean;
    /** Where recordings are written: RECORDINGS_DIR, else DATA_DIR/recordings. */
    recordingsDir: string;
  };
  rooms: { autoCreate: boolean; defaultMaxParticipants: number; emptyTimeoutMs: number; max: number };
  /** Joins one client address may make per second (0: no limit). */
  joinsPerSecondPerAddress: number;
  /** How long a participant may be silent on every signal before it is removed (0: never). */
  participantTimeoutMs: number;
  queryLimits: { maxDepth: number; maxCost: number };
  limits: Limits;
  /** Open mode: web origins accepted besides the server's own (CSRF and DNS rebinding guard). */
  allowedOrigins: string[];
  /** Bearer token that may read /metrics in secured mode (an admin token may too). */
  metricsToken?: string;
  /** Longest token lifetime accepted (exp - iat), and the audience tokens must name, if any. */
  tokenPolicy: { maxTtlSeconds: number; audience?: string };
  /**
   * open: anyone may create and join rooms (local use). secured: join tokens and admin tokens signed
   * with the API secret; the default whenever API_SECRET is set.
   */
  access: { mode: 'open' } | { mode: 'secured'; apiKey: string; apiSecret: string };
  /** How often each participant's call quality is stored (0: never), and for how long. */
  quality: { sampleIntervalMs: number; retentionMs: number };
  /** Where room events are POSTed (none: off), signed with `secret` (Standard Webhooks). */
  webhooks: { urls: string[]; secret: string; maxAgeMs: number; privateMessages: boolean } | null;
  /** This process's name among nodes (NODE_ID, else generated). */
  nodeId: string;
  /**
   * Set by REDIS_URL: this process is one node of a cluster sharing Redis and PostgreSQL. `url` is
   * where the other nodes reach its HTTP API (NODE_URL, else the address it listens on).
   */
  cluster: { redisUrl: string; prefix: string; url?: string } | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment; throws a ConfigError with one sentence per bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    const sentences = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const got = defined[name];
      // A secret is never echoed, not even a wrong one: error output ends up in logs.
      const shown = got !== undefined && !name.includes('SECRET') && name !== 'METRICS_TOKEN';
      return `${issue.message}${shown ? ` (got "${got}")` : ''}.`;
    });
    throw new ConfigError(`Invalid configuration: ${sentences.join(' ')}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    database: e.DATABASE_URL
      ? { kind: 'postgresql', url: e.DATABASE_URL, connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS }
      : { kind: 'embedded', dataDir: path.resolve(e.DATA_DIR) },
    logLevel: e.LOG_LEVEL,
    media: {
      announcedIp: e.MEDIA_ANNOUNCED_IP,
      ...(e.MEDIA_LISTEN_IP ? { listenIp: e.MEDIA_LISTEN_IP } : {}),
      log: e.MEDIA_LOG,
      recordingsDir: path.resolve(e.RECORDINGS_DIR ?? path.join(e.DATA_DIR, 'recordings')),
      portRange:
        e.MEDIA_PORT_MIN !== undefined && e.MEDIA_PORT_MAX !== undefined
          ? { min: e.MEDIA_PORT_MIN, max: e.MEDIA_PORT_MAX }
          : undefined,
    },
    rooms: {
      autoCreate: e.ROOM_AUTO_CREATE,
      defaultMaxParticipants: e.ROOM_DEFAULT_MAX_PARTICIPANTS,
      emptyTimeoutMs: e.ROOM_EMPTY_TIMEOUT_MS,
      max: e.ROOMS_MAX,
    },
    joinsPerSecondPerAddress: e.JOINS_PER_SECOND_PER_ADDRESS,
    participantTimeoutMs: e.PARTICIPANT_TIMEOUT_MS,
    queryLimits: { maxDepth: e.GRAPHQL_MAX_DEPTH, maxCost: e.GRAPHQL_MAX_COST },
    limits: {
      maxRootFields: e.GRAPHQL_MAX_ROOT_FIELDS,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxItems: e.GRAPHQL_MAX_ITEMS,
      subscriptionsPerConnection: e.SUBSCRIPTIONS_PER_CONNECTION,
      subscriptionsPerRoom: e.SUBSCRIPTIONS_PER_ROOM,
      mutationsPerSecond: e.MUTATIONS_PER_SECOND_PER_PARTICIPANT,
      tracksPerParticipant: e.TRACKS_MAX_PER_PARTICIPANT,
    },
    allowedOrigins: e.ALLOWED_ORIGINS ? e.ALLOWED_ORIGINS.split(',').map((item) => item.trim()) : [],
    metricsToken: e.METRICS_TOKEN,
    tokenPolicy: { maxTtlSeconds: e.TOKEN_MAX_TTL, audience: e.TOKEN_AUDIENCE },
    access:
      e.ACCESS_MODE === 'open' || !e.API_KEY || !e.API_SECRET
        ? { mode: 'open' }
        : { mode: 'secured', apiKey: e.API_KEY, apiSecret: e.API_SECRET },
    quality: {
      sampleIntervalMs: e.QUALITY_SAMPLE_INTERVAL_MS,
      retentionMs: Math.round(e.QUALITY_RETENTION_HOURS * 3_600_000),
    },
    webhooks:
      e.WEBHOOK_URLS?.length && e.WEBHOOK_SECRET
        ? {
            urls: e.WEBHOOK_URLS,
            secret: e.WEBHOOK_SECRET,
            maxAgeMs: e.WEBHOOK_MAX_AGE_MS,
            privateMessages: e.WEBHOOK_PRIVATE_MESSAGES,
          }
        : null,
    nodeId: e.NODE_ID ?? `node-${randomBytes(4).toString('hex')}`,
    cluster: e.REDIS_URL ? { redisUrl: e.REDIS_URL, prefix: e.REDIS_PREFIX, url: e.NODE_URL } : null,
  };
}
