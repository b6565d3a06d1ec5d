/**
 * The explorer in Chromium: ready-made example tabs, a link to and from the page, and a
 * subscription view that keeps every event of the stream (issue 18, "the explorer").
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { openPage, screenshot } from '../helpers/page';
import { TestParticipant } from '../helpers/participant';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

test('example tabs; the room events subscription lists every event, newest first', async () => {
  const page = await openPage(browser, `${server.url}/graphql`, { viewport: { width: 1280, height: 800 } });
  await page.waitForSelector('.graphiql-tab');
  expect((await page.$$('.graphiql-tab')).length).toBeGreaterThanOrEqual(5);
  await server.gql(`mutation { createRoom(input: { id: "demo" }) { id } }`);

  await page.click('.graphiql-tab:nth-child(3) .graphiql-tab-button');
  await page.waitForFunction(() =>
    document.querySelector('.graphiql-query-editor')?.textContent?.includes('roomEvents'),
  );
  await page.click('.graphiql-execute-button');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const ada = await TestParticipant.join(server, 'demo', 'Ada');
  await page.waitForFunction(
    () => /"received": [2-9]/.test(document.querySelector('.result-window')?.textContent ?? ''),
    undefined,
    { timeout: 20_000 },
  );
  const result = (await page.textContent('.result-window')) ?? '';
  expect(result).toContain('PARTICIPANT_JOINED');
  expect(result).toContain('STREAM_PUBLISHED');
  await screenshot(page, 'explorer-subscription');
  await ada.close();
  await page.context().close();
});
