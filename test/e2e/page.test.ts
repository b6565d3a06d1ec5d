/**
 * What a newcomer hit on the conference page (issue 18, bugs 1-4, 7 and 9), in Chromium with fake
 * devices against the real server: camera off and mutes as the others see them (also when they
 * arrive later), pictures not cropped, the moderator's notice, room ids, the status, contrast, the
 * people panel and the quality chart. Screenshots go to test-results/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import {
  croppedFraction,
  joinRoom,
  joinsSent,
  openPage,
  socketsOpened,
  previewReady,
  remoteTile,
  screenshot,
} from '../helpers/page';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(150_000);

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ env: { QUALITY_SAMPLE_INTERVAL_MS: '1000' } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

const room = (label: string) => `${label}-${Date.now().toString(36)}`;

const hasClass = (page: Page, selector: string, cls: string) =>
  page.$eval(selector, (el, c) => el.classList.contains(c), cls).catch(() => false);

test('camera off and mutes show to everyone, also to late joiners; pictures are not cropped (bugs 1, 2, 3)', async () => {
  const id = room('cues');
  const alice = await joinRoom(browser, server.url, id, 'Alice');
  // Before Bob arrives, Alice mutes her microphone and turns her camera off.
  await alice.click('#mic-button');
  await alice.click('#cam-button');
  const bob = await joinRoom(browser, server.url, id, 'Bob');
  // The SDK joins on its signalling socket, which then carries the negotiation (no HTTP join).
  expect([joinsSent(alice), joinsSent(bob)]).toEqual([['socket'], ['socket']]);
  // One socket each, kept after the join (none closed and opened again).
  expect([socketsOpened(alice), socketsOpened(bob)]).toEqual([1, 1]);
  await bob.waitForSelector(remoteTile('Alice'));
  await until(
    'Bob seeing Alice muted, camera off',
    async () => ({
      mic: await hasClass(bob, remoteTile('Alice'), 'mic-muted'),
      cam: await hasClass(bob, remoteTile('Alice'), 'no-video'),
    }),
    (s) => s.mic && s.cam,
  );
  expect(await bob.isVisible(`${remoteTile('Alice')} .avatar`)).toBe(true);
  await screenshot(bob, 'camera-off-avatar');

  // Camera back on: Bob sees her picture, uncropped in a two-person call (16:9 in a 800x600 page).
  await alice.click('#cam-button');
  await until(
    'Alice camera on for Bob',
    () => hasClass(bob, remoteTile('Alice'), 'no-video'),
    (off) => !off,
  );
  await until(
    'Alice picture uncropped',
    () => croppedFraction(bob, remoteTile('Alice')),
    (f) => f >= 0 && f < 0.05,
  );
  await screenshot(bob, 'two-people');

  // Off again while Bob watches: an avatar, not a frozen frame.
  await alice.click('#cam-button');
  await until(
    'Alice camera off for Bob',
    () => hasClass(bob, remoteTile('Alice'), 'no-video'),
    (off) => off,
  );
  await alice.click('#cam-button');

  // A screen share is shown whole.
  await alice.click('#screen-button');
  await bob.waitForSelector(remoteTile('Alice (screen)'));
  await until(
    'screen uncropped',
    () => croppedFraction(bob, remoteTile('Alice (screen)')),
    (f) => f === 0,
  );
  await screenshot(bob, 'screen-share');
  await alice.click('#screen-button');

  // On a phone, tiles are not slivers.
  const phone = await joinRoom(browser, server.url, id, 'Phone', { viewport: { width: 390, height: 844 } });
  await phone.waitForFunction(() => document.querySelectorAll('.tile').length === 3);
  const ratios = await phone.$$eval('.tile', (els) =>
    els.map((el) => el.getBoundingClientRect()).map((r) => r.width / r.height),
  );
  for (const ratio of ratios) expect(ratio).toBeGreaterThan(0.9);
  await screenshot(phone, 'phone');
  for (const page of [alice, bob, phone]) await page.context().close();
});

test('a moderator mute notice can be closed and goes away on unmute; the status shows once (bugs 4, 9)', async () => {
  const id = room('notice');
  const guest = await joinRoom(browser, server.url, id, 'Guest');
  const host = await joinRoom(browser, server.url, id, 'Host');
  await host.click('#toggle-people');
  const mute = '#people-list li[data-participant-id] button[data-action="mute"]';
  await host.waitForSelector(mute);

  await host.click(mute);
  const notice = '#notices .notice:has-text("muted your microphone")';
  await guest.waitForSelector(notice);
  await screenshot(guest, 'muted-by-moderator');
  // It does not cover the connection status.
  const [a, b] = await Promise.all([
    guest.$eval(notice, (el) => el.getBoundingClientRect().toJSON() as DOMRect),
    guest.$eval('#conn-state', (el) => el.getBoundingClientRect().toJSON() as DOMRect),
  ]);
  const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  expect(overlap).toBe(false);
  // Closed by hand.
  await guest.click(`${notice} button[data-action="dismiss"]`);
  await guest.waitForSelector(notice, { state: 'detached' });
  // Unmuted, muted again by the moderator, unmuted: the notice goes by itself.
  expect(await guest.getAttribute('#mic-button', 'aria-pressed')).toBe('true');
  await guest.click('#mic-button');
  await host.waitForSelector('#people-list li[data-participant-id] .person-mic[data-on="true"]');
  await host.click(mute);
  await guest.waitForSelector(notice);
  expect(await guest.getAttribute('#mic-button', 'aria-pressed')).toBe('true');
  await guest.click('#mic-button');
  await guest.waitForSelector(notice, { state: 'detached' });

  // The people panel: mic and camera state of each, names and buttons on one line.
  await guest.click('#mic-button');
  await host.waitForSelector('#people-list li[data-participant-id] .person-mic[data-on="false"]');
  expect(await host.$$eval('#people-list li .person-cam', (els) => els.length)).toBe(2);
  const wrapped = await host.$$eval('#people-list li', (items) =>
    items.some((li) => {
      // One line: no taller than a button row, and every part inside that row.
      const row = li.getBoundingClientRect();
      const outside = [...li.children].some((c) => {
        const r = c.getBoundingClientRect();
        return r.top < row.top - 1 || r.bottom > row.bottom + 1;
      });
      return row.height > 36 || outside || li.scrollWidth > li.clientWidth + 1;
    }),
  );
  expect(wrapped).toBe(false);
  await screenshot(host, 'people-panel');

  // During an outage the state shows in one place only.
  await guest.evaluate(() => {
    const w = window as unknown as { maxStateDisplays: number };
    w.maxStateDisplays = 0;
    const count = () =>
      [...document.querySelectorAll('body *')].filter(
        (el) =>
          el.children.length === 0 &&
          /reconnecting|connection lost/i.test(el.textContent ?? '') &&
          (el as HTMLElement).offsetParent !== null,
      ).length;
    new MutationObserver(() => (w.maxStateDisplays = Math.max(w.maxStateDisplays, count()))).observe(
      document.body,
      { subtree: true, childList: true, characterData: true, attributes: true },
    );
    (window as unknown as { sfu: { client: { dropSocket(): void } } }).sfu.client.dropSocket();
  });
  await until(
    'Guest reconnected',
    () => guest.evaluate(() => (window as unknown as { sfu: { states: string[] } }).sfu.states.slice(-2)),
    (states) => JSON.stringify(states) === JSON.stringify(['reconnecting', 'connected']),
  );
  expect(
    await guest.evaluate(() => (window as unknown as { maxStateDisplays: number }).maxStateDisplays),
  ).toBe(1);
  for (const page of [guest, host]) await page.context().close();
});

test('the quality chart has axes, units, a time scale and a legend naming whose (bug 9)', async () => {
  const id = room('quality');
  const ada = await joinRoom(browser, server.url, id, 'Ada');
  const bert = await joinRoom(browser, server.url, id, 'Bert');
  await bert.click('#toggle-people');
  await bert.click('#people-list li[data-participant-id] button[data-action="quality"]');
  await bert.waitForFunction(
    () =>
      (document.querySelector('#quality-chart polyline.bitrate-in')?.getAttribute('points') ?? '').split(' ')
        .length >= 3,
    undefined,
    { timeout: 30_000 },
  );
  const labels = await bert.$$eval('#quality-chart text', (els) => els.map((el) => el.textContent ?? ''));
  expect(labels.join(' ')).toMatch(/kbit\/s/);
  expect(labels.join(' ')).toMatch(/%/);
  expect(labels.some((l) => /^-?\d+ s$|^now$/.test(l))).toBe(true);
  expect(await bert.$$('#quality-chart .axis')).not.toHaveLength(0);
  const legend = (await bert.textContent('.quality-legend')) ?? '';
  expect(legend).toMatch(/received by Ada/);
  expect(legend).toMatch(/sent by Ada/);
  await screenshot(bert, 'quality-chart');
  for (const page of [ada, bert]) await page.context().close();
});

test('room ids are made valid as Jitsi does; too long ones are refused before joining (bug 7)', async () => {
  const page = await openPage(browser, `${server.url}/?room=My%20Room`);
  await page.fill('#name-input', 'Slug');
  await page.check('#watch-only');
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  expect(await page.textContent('#room-name')).toBe('my-room');
  expect(new URL(page.url()).searchParams.get('room')).toBe('my-room');
  await page.click('#leave-button');
  await page.waitForSelector('#join-view:not([hidden])');

  await page.fill('#room-input', 'Café au lait');
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  expect(await page.textContent('#room-name')).toBe('cafe-au-lait');
  await page.click('#leave-button');
  await page.waitForSelector('#join-view:not([hidden])');

  const joins: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && /mutation Join/.test(request.postData() ?? ''))
      joins.push(request.url());
  });
  await page.fill('#room-input', 'x'.repeat(65));
  await page.click('#join-button');
  await page.waitForSelector('#join-error:not([hidden])');
  const message = (await page.textContent('#join-error')) ?? '';
  expect(message).toMatch(/64/);
  expect(message).not.toMatch(/name/);
  expect(joins).toEqual([]);
  expect(await page.isVisible('#join-view')).toBe(true);
  await screenshot(page, 'room-id-too-long');
  await page.context().close();
});

test('the Join button is readable in dark mode (contrast at least 3:1) (bug 9)', async () => {
  const page = await openPage(browser, `${server.url}/`, { colorScheme: 'dark' });
  await previewReady(page);
  const [fg, bg] = await page.$eval('#join-button', (el) => {
    const style = getComputedStyle(el);
    return [style.color, style.backgroundColor];
  });
  const luminance = (css: string) => {
    const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => Number(v) / 255);
    const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
  };
  const [l1, l2] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  expect((l1! + 0.05) / (l2! + 0.05)).toBeGreaterThanOrEqual(3);
  await screenshot(page, 'join-form-dark');
  await page.context().close();
});
