import { parseArgs } from 'node:util';
import { AccessTokens } from './AccessTokens';

const USAGE = `Mints an access token signed with API_KEY / API_SECRET (from the environment or the options).

  npm run -s token -- --room <id> --identity <user> [--name <display name>] [--ttl 6h]
                      [--no-publish] [--no-subscribe] [--room-admin]
  npm run -s token -- --admin [--ttl 1h]

Options: --key <api key>  --secret <api secret>  (default: $API_KEY, $API_SECRET)
The token is printed alone on standard output.`;

/** "90", "90s", "15m", "6h", "2d" -> seconds. */
function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`--ttl must look like 90s, 15m, 6h or 2d (got "${text}")`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds < 1) throw new Error('--ttl must be at least one second');
  return seconds;
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      room: { type: 'string' },
      identity: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string' },
      admin: { type: 'boolean', default: false },
      'no-publish': { type: 'boolean', default: false },
      'no-subscribe': { type: 'boolean', default: false },
      'room-admin': { type: 'boolean', default: false },
      key: { type: 'string' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const key = values.key ?? process.env.API_KEY;
  const secret = values.secret ?? process.env.API_SECRET;
  if (!key || !secret) throw new Error('API_KEY and API_SECRET are needed (environment or --key/--secret)');
  if (secret.length < 32) throw new Error('API_SECRET must be at least 32 characters');
  // The server refuses tokens living longer than TOKEN_MAX_TTL and, with TOKEN_AUDIENCE, without that audience.
  const maxTtlSeconds = Number(process.env.TOKEN_MAX_TTL || 86_400);
  const tokens = new AccessTokens(key, secret, {
    maxTtlSeconds,
    audience: process.env.TOKEN_AUDIENCE || undefined,
  });
  const ttlSeconds = values.ttl ? parseDuration(values.ttl) : undefined;
  if (ttlSeconds !== undefined && ttlSeconds > maxTtlSeconds) {
    throw new Error(`--ttl must be at most TOKEN_MAX_TTL (${maxTtlSeconds} seconds)`);
  }
  if (values.admin) {
    process.stdout.write(`${tokens.mintAdminToken(ttlSeconds)}\n`);
    return 0;
  }
  if (!values.room || !values.identity) throw new Error('--room and --identity are needed (or --admin)');
  const token = tokens.mintJoinToken({
    room: values.room,
    identity: values.identity,
    name: values.name,
    ttlSeconds,
    grants: {
      canPublish: !values['no-publish'],
      canSubscribe: !values['no-subscribe'],
      roomAdmin: values['room-admin'],
    },
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`token: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exitCode = 2;
}
