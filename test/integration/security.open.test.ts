import http from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server';

/** Issue 15, finding 7: a web page the user visits must not drive their local open-mode server. */
describe('open mode: origin and host names', () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await open?.dispose();
  });

  test('finding 7: open mode accepts HTTP and WebSocket only from its own origin and host names', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${open.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ rooms { totalCount } }' }),
      });
    const own = new URL(open.url).origin;
    expect((await post({})).status).toBe(200);
    expect((await post({ origin: own })).status).toBe(200);
    const foreign = await post({ origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(
      ((await foreign.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions
        .code,
    ).toBe('FORBIDDEN_ORIGIN');
    // fetch does not let a caller set Host: a raw request, as a rebound browser would send it.
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        `${open.url}/graphql`,
        { method: 'POST', headers: { 'content-type': 'application/json', host: 'rebind.evil.example:80' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ query: '{ rooms { totalCount } }' }));
    });
    expect(rebound).toBe(403);
    const wsFrom = (origin: string) =>
      new Promise<string>((resolve) => {
        const client = createClient({
          url: `${open.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: class extends WebSocket {
            constructor(address: string, protocols?: string | string[]) {
              super(address, protocols, { headers: { origin } });
            }
          },
          retryAttempts: 0,
        });
        client.subscribe(
          { query: `subscription { roomEvents(roomId: "x") { type } }` },
          {
            next: () => resolve('accepted'),
            error: (error) => {
              resolve(Array.isArray(error) ? 'accepted' : 'refused');
              void client.dispose();
            },
            complete: () => resolve('accepted'),
          },
        );
      });
    expect(await wsFrom('http://evil.example')).toBe('refused');
    expect(await wsFrom(own)).toBe('accepted');
  });
});
