import { loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('defaults give the embedded database on 127.0.0.1:8080', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      database: { kind: 'embedded' },
      media: { announcedIp: '127.0.0.1', portRange: undefined },
      rooms: { autoCreate: true, defaultMaxParticipants: 16 },
      participantTimeoutMs: 4000,
    });
  });

  test('a PostgreSQL URL selects PostgreSQL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1:5432/test' }).database).toEqual({
      kind: 'postgresql',
      url: 'postgresql://127.0.0.1:5432/test',
      connectTimeoutMs: 10_000,
    });
  });

  test('an API secret turns secured mode on; ACCESS_MODE=open turns it off again', () => {
    const secret = 's'.repeat(32);
    expect(loadConfig({}).access).toEqual({ mode: 'open' });
    expect(loadConfig({ API_KEY: 'app', API_SECRET: secret }).access).toEqual({
      mode: 'secured',
      apiKey: 'app',
      apiSecret: secret,
    });
    expect(loadConfig({ API_KEY: 'app', API_SECRET: secret, ACCESS_MODE: 'open' }).access).toEqual({
      mode: 'open',
    });
  });

  test('a wrong secret is refused without being echoed', () => {
    expect(() => loadConfig({ API_KEY: 'app', API_SECRET: 'short-secret' })).toThrow(
      'Invalid configuration: API_SECRET must be at least 32 characters.',
    );
  });

  test.each([
    [{ ACCESS_MODE: 'secured' }, /Secured mode needs both API_KEY and API_SECRET/],
    [{ API_SECRET: 's'.repeat(32) }, /Secured mode needs both API_KEY and API_SECRET/],
    [{ ACCESS_MODE: 'closed' }, /ACCESS_MODE must be open or secured/],
    [{ API_KEY: 'a b' }, /API_KEY must be 3 to 64 letters/],
    [{ PORT: 'eighty' }, /PORT must be a number \(got "eighty"\)/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgresql:\/\/ URL/],
    [{ MEDIA_ANNOUNCED_IP: 'localhost' }, /MEDIA_ANNOUNCED_IP must be a literal IPv4 address/],
    [{ MEDIA_LISTEN_IP: '::1' }, /MEDIA_LISTEN_IP must be a literal IPv4 address of this host/],
    [{ MEDIA_PORT_MIN: '40000' }, /must be set together/],
    [
      { MEDIA_PORT_MIN: '40000', MEDIA_PORT_MAX: '40010' },
      /MEDIA_PORT_MAX must be at least MEDIA_PORT_MIN \+ 50/,
    ],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ ROOM_AUTO_CREATE: 'maybe' }, /ROOM_AUTO_CREATE must be true or false/],
    [{ PARTICIPANT_TIMEOUT_MS: 'soon' }, /PARTICIPANT_TIMEOUT_MS must be a number/],
    [{ PARTICIPANT_TIMEOUT_MS: '500' }, /PARTICIPANT_TIMEOUT_MS must be 0 \(never\) or at least 1000/],
    [{ PARTICIPANT_TIMEOUT_MS: '700000' }, /PARTICIPANT_TIMEOUT_MS must be at most 600000/],
  ])('%j is refused with one clear sentence', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(/^Invalid configuration: /);
  });
});
