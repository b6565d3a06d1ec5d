import jwt from 'jsonwebtoken';
import { AccessTokens } from '../../src/access/AccessTokens';
import { qualityLoader } from '../../src/api/context';
import { contentSecurityPolicy } from '../../src/api/edge';
import type { ConferenceService } from '../../src/conference/ConferenceService';
import type { QualitySample } from '../../src/conference/ports';
import { withoutCandidates } from '../../src/media/SessionDescription';

const KEY = 'unit-key';
const SECRET = 'unit-secret-0123456789abcdef0123456789ab';
const codeOf = (run: () => unknown) => {
  try {
    run();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('token policy (issue 15, low)', () => {
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>) =>
    jwt.sign({ room: 'r', grants: {}, ...claims }, SECRET, {
      issuer: KEY,
      subject: 'ann',
    });

  test('an audience, when configured, is required and minted', () => {
    const tokens = new AccessTokens(KEY, SECRET, { maxTtlSeconds: 3600, audience: 'sfu.example' });
    expect(codeOf(() => tokens.verify(tokens.mintJoinToken({ room: 'r', identity: 'ann' })))).toBe('ok');
    expect(codeOf(() => tokens.verify(sign({ iat: now, exp: now + 60 })))).toBe('INVALID_TOKEN');
    expect(codeOf(() => tokens.verify(sign({ iat: now, exp: now + 60, aud: 'other' })))).toBe(
      'INVALID_TOKEN',
    );
  });

  test('nbf and iat in the future, and lifetimes past the cap, are refused', () => {
    const tokens = new AccessTokens(KEY, SECRET, { maxTtlSeconds: 3600 });
    expect(codeOf(() => tokens.verify(sign({ iat: now, exp: now + 60, nbf: now + 600 })))).toBe(
      'INVALID_TOKEN',
    );
    expect(codeOf(() => tokens.verify(sign({ iat: now + 600, exp: now + 660 })))).toBe('INVALID_TOKEN');
    expect(codeOf(() => tokens.verify(sign({ iat: now, exp: now + 7200 })))).toBe('INVALID_TOKEN');
    expect(codeOf(() => tokens.verify(sign({ iat: now + 5, exp: now + 60 })))).toBe('ok');
  });
});

describe('qualityHistory data loader (issue 15, finding 4)', () => {
  test('a page of parents costs one batched call per `last`, not one per parent', async () => {
    const calls: Array<{ ids: readonly string[]; last: number }> = [];
    const conference = {
      qualityHistories: async (ids: readonly string[], last: number) => {
        calls.push({ ids, last });
        return new Map(ids.map((id) => [id, [{ participantId: id } as QualitySample]]));
      },
    } as unknown as ConferenceService;
    const loader = qualityLoader(conference);
    const ids = Array.from({ length: 200 }, (_, i) => `p${i}`);
    const results = await Promise.all([
      ...ids.map((participantId) => loader.load({ participantId, last: 360 })),
      ...ids.map((participantId) => loader.load({ participantId, last: 10 })),
    ]);
    expect(calls.map((call) => [call.last, call.ids.length])).toEqual([
      [360, 200],
      [10, 200],
    ]);
    expect(results[0]).toEqual([{ participantId: 'p0' }]);
  });
});

describe('offered candidates (issue 15, finding 6)', () => {
  test('candidate lines are removed, nothing else', () => {
    const sdp =
      'v=0\r\na=mid:0\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\na=end-of-candidates\r\na=ice-ufrag:abcd\r\n';
    expect(withoutCandidates(sdp)).toBe('v=0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n');
  });
});

describe("the page's content security policy", () => {
  const connectSources = (host: string, nodes: string[]) =>
    contentSecurityPolicy(host, nodes)
      .split('; ')
      .find((directive) => directive.startsWith('connect-src'))
      ?.split(' ')
      .slice(1);

  test('a server alone: its own origin and sockets only', () => {
    expect(connectSources('127.0.0.1:4000', [])).toEqual([
      "'self'",
      'ws://127.0.0.1:4000',
      'wss://127.0.0.1:4000',
    ]);
  });

  test('a cluster node: any port of every known host, so a node started after the page loaded is reachable', () => {
    const sources = connectSources('127.0.0.1:4000', ['http://127.0.0.1:4000', 'https://sfu-2.example:443']);
    expect(sources).toEqual(
      expect.arrayContaining([
        'http://127.0.0.1:*',
        'ws://127.0.0.1:*',
        'https://sfu-2.example:*',
        'wss://sfu-2.example:*',
      ]),
    );
    // A page served under a name no node announces (a load balancer's) still reaches the other ports of that name.
    expect(connectSources('sfu.example:8080', ['http://10.0.0.2:4000'])).toEqual(
      expect.arrayContaining(['http://10.0.0.2:*', 'http://sfu.example:*', 'ws://sfu.example:*']),
    );
  });
});
