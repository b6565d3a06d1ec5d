/**
 * Recording on the page, in Chromium on a secured server: a room admin starts and stops it, and
 * everyone (a guest in the call, a guest who joins during the recording) sees that it is recorded.
 * The files are real MP4s of Chromium's own camera and microphone (simulcast VP8 and Opus).
 */
import type { Browser, Page } from 'playwright-core';
import { AccessTokens } from '../../src/access/AccessTokens';
import { launchChromium, until } from '../helpers/browser';
import { readMp4 } from '../helpers/mp4';
import { screenshot } from '../helpers/page';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const API_KEY = 'rec-page-key';
const API_SECRET = 'rec-page-secret-0123456789abcdef012345678';
const tokens = new AccessTokens(API_KEY, API_SECRET);
const ROOM = 'recorded-call';
const admin = { authorization: `Bearer ${tokens.mintAdminToken()}` };

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

async function openInvitation(identity: string, grants: Record<string, boolean> = {}): Promise<Page> {
  const token = tokens.mintJoinToken({ room: ROOM, identity, name: identity, grants });
  const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${server.url}/?room=${ROOM}&token=${token}`);
  await page.selectOption('#resolution-select', '360');
  await page.waitForFunction(
    () =>
      ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream | null)?.getTracks()
        .length === 2,
  );
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  return page;
}

const indicatorShown = (page: Page) =>
  page.$eval('#recording-indicator', (el) => !(el as HTMLElement).hidden && el.getClientRects().length > 0);

test('a room admin records the call; everyone, late joiners too, sees the recording indicator', async () => {
  const host = await openInvitation('Host', { roomAdmin: true });
  const guest = await openInvitation('Guest');
  await host.waitForSelector('.tile:not(.local) video');

  // Only the room admin has the button; nobody sees the indicator before recording.
  await host.waitForSelector('#record-button:not([hidden])');
  expect(await guest.$eval('#record-button', (el) => (el as HTMLElement).hidden)).toBe(true);
  expect(await indicatorShown(guest)).toBe(false);

  await host.click('#record-button');
  for (const page of [host, guest]) await until('the indicator', () => indicatorShown(page), Boolean);
  expect(await host.textContent('#record-button')).toBe('Stop recording');
  expect(await guest.textContent('#recording-indicator')).toBe('Recording');
  await until(
    'the guest told in a notice',
    () => guest.$$eval('.notice', (els) => els.map((el) => el.textContent)),
    (texts) => texts.some((text) => text?.includes('This call is being recorded')),
  );

  // A late joiner knows at once (from the room's state, not from an event it never saw).
  const late = await openInvitation('Late');
  await until('the late joiner sees the indicator', () => indicatorShown(late), Boolean);
  await screenshot(guest, 'recording-indicator');

  await new Promise((resolve) => setTimeout(resolve, 3000));
  await host.click('#record-button');
  for (const page of [host, guest, late])
    await until(
      'the indicator gone',
      () => indicatorShown(page),
      (shown) => !shown,
    );
  expect(await host.textContent('#record-button')).toBe('Record');

  // What was recorded: one MP4 per person with Chromium's own audio and video.
  const response = await server.gql<{
    room: {
      recordings: Array<{ state: string; files: Array<{ participant: { name: string }; url: string }> }>;
    };
  }>(`query { room(id: "${ROOM}") { recordings { state files { participant { name } url } } } }`, {}, admin);
  const [recording] = response.data!.room.recordings;
  expect(recording!.state).toBe('STOPPED');
  expect(recording!.files.map((file) => file.participant.name).sort()).toEqual(['Guest', 'Host', 'Late']);
  for (const file of recording!.files) {
    const mp4 = readMp4(
      Buffer.from(await (await fetch(`${server.url}${file.url}`, { headers: admin })).arrayBuffer()),
    );
    expect(mp4.tracks.map((track) => `${track.kind}:${track.codec}`).sort()).toEqual([
      'audio:Opus',
      'video:vp08',
    ]);
    expect(mp4.durationSeconds).toBeGreaterThan(1);
  }
});
