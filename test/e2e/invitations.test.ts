/**
 * Invitations on a secured server (issue 18, bugs 5, 6 and 8): the README's watch-only token (no
 * name) joins, a viewer cannot press Share screen, and Copy link keeps the invitation.
 */
import type { Browser } from 'playwright-core';
import { AccessTokens } from '../../src/access/AccessTokens';
import { launchChromium } from '../helpers/browser';
import { openPage, previewReady, screenshot } from '../helpers/page';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const API_KEY = 'invite-key';
const API_SECRET = 'invite-secret-0123456789abcdef0123456789';
const tokens = new AccessTokens(API_KEY, API_SECRET);
const ROOM = 'standup';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ env: { API_KEY, API_SECRET } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

test('a watch-only invitation without a name joins, cannot share its screen; Copy link keeps the invitation', async () => {
  const ada = tokens.mintJoinToken({ room: ROOM, identity: 'ada', name: 'Ada' });
  const host = await openPage(browser, `${server.url}/?room=${ROOM}&token=${ada}`);
  await host.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await host.selectOption('#resolution-select', '360');
  await previewReady(host);
  await host.click('#join-button');
  await host.waitForSelector('#room-view:not([hidden])');
  await host.click('#copy-link');
  const link = new URL(await host.evaluate(() => navigator.clipboard.readText()));
  expect(link.searchParams.get('room')).toBe(ROOM);
  expect(link.searchParams.get('token')).toBe(ada);

  // As the README mints it: `--room standup --identity viewer --no-publish`, no --name.
  const watch = tokens.mintJoinToken({ room: ROOM, identity: 'viewer', grants: { canPublish: false } });
  const viewer = await openPage(browser, `${server.url}/?room=${ROOM}&token=${watch}`);
  expect(await viewer.isChecked('#watch-only')).toBe(true);
  await viewer.click('#join-button');
  await viewer.waitForSelector('#room-view:not([hidden])');
  await viewer.waitForSelector('.tile:not(.local) video');
  expect(await viewer.textContent('.tile.local .tile-name')).toBe('viewer (you)');
  expect(await viewer.isDisabled('#screen-button')).toBe(true);
  expect(await viewer.getAttribute('#screen-button', 'title')).toMatch(/invitation/i);
  await screenshot(viewer, 'watch-only');
  for (const page of [host, viewer]) await page.context().close();
});
