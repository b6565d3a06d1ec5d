/**
 * What people expect of a call page (issue 18): speaker view, pinning, a screen share on the stage,
 * the "only one here" screen, join notices, the room in the tab title, keyboard shortcuts, joining
 * muted from the preview, and switching camera during the call. Screenshots: test-results/screenshots.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { joinRoom, openPage, previewReady, remoteTile, screenshot } from '../helpers/page';
import { startTestServer, tracksOf, type TestServer } from '../helpers/server';

jest.setTimeout(180_000);

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  // Two fake cameras, to switch between.
  browser = await launchChromium(['--use-fake-device-for-media-stream=device-count=2']);
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

const stageKey = (page: Page) =>
  page.evaluate(() => {
    const grid = document.getElementById('grid')!;
    const stage = grid.querySelector<HTMLElement>('.tile.stage');
    return grid.dataset.layout === 'stage' ? (stage?.querySelector('.tile-name')?.textContent ?? null) : null;
  });

interface Stats {
  participantName: string;
  framesDecoded: number;
}
const streamStats = (page: Page): Promise<Stats[]> =>
  page.evaluate(() => (window as unknown as { sfu: { streamStats(): Promise<Stats[]> } }).sfu.streamStats());

test('alone screen, notices, title; speaker view, pin, screen share on the stage; shortcuts', async () => {
  const id = `features-${Date.now().toString(36)}`;
  const alice = await joinRoom(browser, server.url, id, 'Alice');
  await alice.waitForSelector('#alone:not([hidden])');
  expect(await alice.textContent('#alone')).toMatch(/only one here/);
  expect(await alice.title()).toContain(id);
  await screenshot(alice, 'alone');

  const bob = await joinRoom(browser, server.url, id, 'Bob');
  await alice.waitForSelector('#notices .notice:has-text("Bob joined")');
  await alice.waitForSelector('#alone', { state: 'hidden' });
  await bob.waitForSelector(remoteTile('Alice'));

  // Speaker view: someone else on the stage; grid view again: no stage.
  expect(await stageKey(bob)).toBeNull();
  await bob.click('#view-button');
  await until(
    'speaker view',
    () => stageKey(bob),
    (name) => name === 'Alice',
  );
  await screenshot(bob, 'speaker-view');
  await bob.click('#view-button');
  await until(
    'grid view',
    () => stageKey(bob),
    (name) => name === null,
  );

  // Pin: the pinned tile takes the stage until unpinned.
  await bob.click('.tile.local [data-action="pin"]');
  await until(
    'pinned',
    () => stageKey(bob),
    (name) => name === 'Bob (you)',
  );
  await screenshot(bob, 'pinned');
  await bob.click('.tile.local [data-action="pin"]');
  await until(
    'unpinned',
    () => stageKey(bob),
    (name) => name === null,
  );

  // A screen share takes the stage by itself.
  await alice.click('#screen-button');
  await until(
    'screen on stage',
    () => stageKey(bob),
    (name) => name === 'Alice (screen)',
  );
  await screenshot(bob, 'screen-share-stage');
  await alice.click('#screen-button');
  await until(
    'screen gone',
    () => stageKey(bob),
    (name) => name === null,
  );

  // Keyboard: M mutes the microphone, V turns the camera off; Alice sees both.
  await bob.locator('body').press('m');
  await bob.locator('body').press('v');
  expect(await bob.getAttribute('#mic-button', 'aria-pressed')).toBe('true');
  expect(await bob.getAttribute('#cam-button', 'aria-pressed')).toBe('true');
  await alice.waitForSelector(`${remoteTile('Bob')}.mic-muted.no-video`);
  await bob.locator('body').press('m');
  await bob.locator('body').press('v');
  await alice.waitForSelector(`${remoteTile('Bob')}:not(.mic-muted):not(.no-video)`);

  await bob.click('#leave-button');
  await alice.waitForSelector('#notices .notice:has-text("Bob left")');
  for (const page of [alice, bob]) await page.context().close();
});

test('join muted from the preview; switch camera during the call', async () => {
  const id = `devices-${Date.now().toString(36)}`;
  const watcher = await joinRoom(browser, server.url, id, 'Watcher');
  const page = await openPage(browser, `${server.url}/?room=${id}`);
  await page.fill('#name-input', 'Switcher');
  await page.selectOption('#resolution-select', '360');
  await previewReady(page);
  await page.click('#preview-mic');
  expect(await page.getAttribute('#preview-mic', 'aria-pressed')).toBe('true');
  await screenshot(page, 'join-form');
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  expect(await page.getAttribute('#mic-button', 'aria-pressed')).toBe('true');
  await watcher.waitForSelector(`${remoteTile('Switcher')}.mic-muted`);
  const audio = await until(
    'the server knowing the mute',
    async () => (await tracksOf(server, id)).find((t) => t.participant === 'Switcher' && t.kind === 'AUDIO'),
    (track) => !!track?.muted,
  );
  expect(audio?.muted).toBe(true);

  // The second camera, without renegotiating: the watcher keeps decoding, the server's track stays.
  const decoding = async () => {
    const start =
      (await streamStats(watcher)).find((s) => s.participantName === 'Switcher')?.framesDecoded ?? 0;
    await until(
      'the watcher decoding Switcher',
      () => streamStats(watcher),
      (stats) => stats.some((s) => s.participantName === 'Switcher' && s.framesDecoded > start + 10),
    );
  };
  await decoding();
  await page.click('#devices-button');
  const cameras = await page.$$eval('#call-camera-select option', (options) =>
    options.map((o) => (o as HTMLOptionElement).value),
  );
  expect(cameras.length).toBeGreaterThanOrEqual(2);
  const before = await page.evaluate(
    () =>
      (window as unknown as { sfu: { client: { localStream: MediaStream } } }).sfu.client.localStream
        .getVideoTracks()[0]!
        .getSettings().deviceId,
  );
  const other = cameras.find((c) => c !== before)!;
  await page.selectOption('#call-camera-select', other);
  await until(
    'the other camera sending',
    () =>
      page.evaluate(
        () =>
          (window as unknown as { sfu: { pc: RTCPeerConnection } }).sfu.pc
            .getSenders()
            .find((s) => s.track?.kind === 'video')
            ?.track?.getSettings().deviceId,
      ),
    (deviceId) => deviceId === other,
  );
  await screenshot(page, 'devices');
  await decoding();
  // Muting still reaches the room under the track's first id.
  await page.click('#cam-button');
  await watcher.waitForSelector(`${remoteTile('Switcher')}.no-video`);
  for (const p of [watcher, page]) await p.context().close();
});
