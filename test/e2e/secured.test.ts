/**
 * The page on a secured server: people arrive with invitation links (join tokens), the token names
 * them, and a moderator (roomAdmin) mutes and removes others from the people panel.
 */
import type { Browser, Page } from 'playwright-core';
import { AccessTokens } from '../../src/access/AccessTokens';
import { launchChromium } from '../helpers/browser';
import { startTestServer, tracksOf, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const API_KEY = 'page-key';
const API_SECRET = 'page-secret-0123456789abcdef0123456789ab';
const tokens = new AccessTokens(API_KEY, API_SECRET);
const ROOM = 'townhall';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ env: { API_KEY, API_SECRET, QUALITY_SAMPLE_INTERVAL_MS: '1000' } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

async function openInvitation(token: string | null): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${server.url}/?room=${ROOM}${token ? `&token=${token}` : ''}`);
  await page.selectOption('#resolution-select', '360');
  await page.waitForFunction(
    () =>
      ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream | null)?.getTracks()
        .length === 2,
  );
  await page.click('#join-button');
  return page;
}

test('without an invitation the page says so; invited people are named by their token; a moderator mutes and removes', async () => {
  const stranger = await openInvitation(null);
  await stranger.fill('#name-input', 'Stranger');
  await stranger.click('#join-button');
  await stranger.waitForSelector('#join-error:not([hidden])');
  expect(await stranger.textContent('#join-error')).toMatch(/needs an invitation/);

  const host = await openInvitation(
    tokens.mintJoinToken({ room: ROOM, identity: 'h-1', name: 'Host', grants: { roomAdmin: true } }),
  );
  await host.waitForSelector('#room-view:not([hidden])');
  const guest = await openInvitation(tokens.mintJoinToken({ room: ROOM, identity: 'g-1', name: 'Guest' }));
  await guest.waitForSelector('#room-view:not([hidden])');

  // An invitation to watch: the page joins receive-only by itself and sees both others.
  const viewer = await (await browser.newContext()).newPage();
  const watchToken = tokens.mintJoinToken({
    room: ROOM,
    identity: 'v-1',
    name: 'Viewer',
    grants: { canPublish: false },
  });
  await viewer.goto(`${server.url}/?room=${ROOM}&token=${watchToken}`);
  expect(await viewer.isChecked('#watch-only')).toBe(true);
  expect(await viewer.isDisabled('#watch-only')).toBe(true);
  await viewer.click('#join-button');
  await viewer.waitForSelector('#room-view:not([hidden])');
  await viewer.waitForFunction(() => document.querySelectorAll('.tile:not(.local) video').length === 2);

  // The token's names, on tiles and in the list; only the host gets moderation buttons.
  await host.waitForSelector('.tile:not(.local) .tile-name');
  expect(await host.textContent('.tile:not(.local) .tile-name')).toBe('Guest');
  expect(await guest.textContent('.tile.local .tile-name')).toBe('Guest (you)');
  await host.click('#toggle-people');
  await host.waitForSelector('#people-list li[data-participant-id] button[data-action="mute"]');
  await guest.click('#toggle-people');
  expect(
    await guest.$$('#people-list button[data-action="mute"], #people-list button[data-action="kick"]'),
  ).toHaveLength(0);

  // The guest's call quality, drawn from the stored samples: a line of bitrates, the latest figures.
  await host.click('#people-list li[data-participant-id] button[data-action="quality"]');
  await host.waitForFunction(
    () =>
      (document.querySelector('#quality-chart polyline.bitrate-in')?.getAttribute('points') ?? '').split(' ')
        .length >= 3,
    undefined,
    { timeout: 20_000 },
  );
  expect(await host.textContent('#quality-title')).toBe('Call quality: Guest');
  const figures = (await host.textContent('#quality-figures')) ?? '';
  const received = Number(/Guest sends (\d+) kbit\/s/.exec(figures)?.[1]);
  expect(received).toBeGreaterThan(50);

  // Mute: the guest's microphone goes off on the guest's page, the host sees the muted icon.
  await host.click('#people-list button[data-action="mute"]');
  await guest.waitForFunction(() =>
    document.getElementById('notices')?.textContent?.includes('muted your microphone'),
  );
  expect(await guest.getAttribute('#mic-button', 'aria-pressed')).toBe('true');
  await host.waitForSelector('.tile.mic-muted');
  const tracks = await tracksOf(server, ROOM, { authorization: `Bearer ${tokens.mintAdminToken()}` });
  expect(tracks.find((t) => t.participant === 'Guest' && t.kind === 'AUDIO')!.muted).toBe(true);

  // Remove: the guest is out, told why, and does not rejoin by itself.
  await host.click('#people-list button[data-action="kick"]');
  await guest.waitForSelector('#join-view:not([hidden])');
  expect(await guest.textContent('#join-error')).toMatch(/moderator removed you/);
  await host.waitForFunction(() => document.querySelectorAll('.tile:not(.local)').length === 0);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await host.$$('.tile:not(.local)')).toHaveLength(0);
});
