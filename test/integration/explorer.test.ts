import { startTestServer, type TestServer } from '../helpers/server';

/** URLs the page itself would load: src/href attributes, CSS url() and @import. */
function loadedUrls(text: string): string[] {
  const patterns = [
    /\b(?:src|href)\s*=\s*["']([^"']+)["']/g,
    /url\(\s*["']?([^"')]+)["']?\s*\)/g,
    /@import\s+["']([^"']+)["']/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1] ?? ''));
}

const isExternal = (url: string) => /^(https?:)?\/\//i.test(url);

describe('the explorer and the page are served from this server alone', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.dispose());

  test('GET /graphql from a browser returns the explorer, and every asset it names is served locally', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('GraphQL SFU explorer');
    const urls = loadedUrls(html).filter((url) => !url.startsWith('data:'));
    expect(urls.filter(isExternal)).toEqual([]);
    const assets = urls.filter((url) => url.startsWith('/'));
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const assetResponse = await fetch(`${server.url}${asset}`);
      expect({ asset, status: assetResponse.status }).toEqual({ asset, status: 200 });
      if (asset.endsWith('.css')) {
        const css = await assetResponse.text();
        expect(loadedUrls(css).filter(isExternal)).toEqual([]);
      }
    }
  });

  test('GraphQL GET requests still reach GraphQL', async () => {
    const response = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('{ rooms { totalCount } }')}`,
      {
        headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { rooms: { totalCount: 0 } } });
  });

  test('GET / returns the web page with local assets only', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(loadedUrls(html).filter(isExternal)).toEqual([]);
    for (const asset of loadedUrls(html).filter((url) => /^\/.*\.(js|css|svg|png|woff2?)$/.test(url))) {
      expect((await fetch(`${server.url}${asset}`)).status).toBe(200);
    }
  });
});
