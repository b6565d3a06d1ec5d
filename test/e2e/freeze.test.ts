/**
 * A Chromium participant frozen whole (SIGSTOP of its browser's process tree: no RTP, no STUN, no
 * WebSocket pong, no FIN) as another Chromium participant sees it (issue 14): its tile and its line
 * in the people panel grey with "Reconnecting…"; a 2 s freeze ends in PARTICIPANT_RECONNECTED with
 * frames decoded again both ways and nobody leaving; a longer one in PARTICIPANT_LEFT with
 * CONNECTION_LOST within 5 s, and the tile goes.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { FreezableBrowser } from '../helpers/freezableBrowser';
import { joinRoom, remoteTile, screenshot } from '../helpers/page';
import { recordRoomEvents } from '../helpers/roomEvents';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(150_000);

interface StreamStats {
  participantId: string;
  framesDecoded: number;
}
type Sfu = { sfu: { streamStats(): Promise<StreamStats[]>; client: { participantId: string } } };
/** What the watcher's page showed of the frozen participant, each change with its time. */
interface Shown {
  tile: boolean;
  row: boolean;
  present: boolean;
  at: number;
}

let server: TestServer;
let browser: Browser;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const room = (label: string) => `${label}-${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startTestServer({ env: { PARTICIPANT_TIMEOUT_MS: '4000' } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
}, 60_000);

const framesFrom = async (page: Page, participantId: string): Promise<number> =>
  (await page.evaluate(() => (window as unknown as Sfu).sfu.streamStats()))
    .filter((stream) => stream.participantId === participantId)
    .reduce((sum, stream) => sum + stream.framesDecoded, 0);

/**
 * Records on the watcher's page, as it changes, whether `name`'s tile is greyed with its
 * "Reconnecting…" label, whether its people line says so, and whether the tile is there at all.
 */
async function watchGreying(page: Page, name: string, id: string): Promise<void> {
  await page.evaluate(
    ({ name, id }) => {
      const log: Array<{ tile: boolean; row: boolean; present: boolean; at: number }> = [];
      (window as unknown as { shown: typeof log }).shown = log;
      const look = () => {
        const tile = [...document.querySelectorAll<HTMLElement>('.tile:not(.local)')].find(
          (el) => el.querySelector('.tile-name')?.textContent === name,
        );
        const label = tile?.querySelector<HTMLElement>('.tile-reconnecting');
        const row = document.querySelector<HTMLElement>(`#people-list li[data-participant-id="${id}"]`);
        const now = {
          tile:
            !!tile?.classList.contains('reconnecting') &&
            label?.textContent === 'Reconnecting…' &&
            label.offsetParent !== null,
          row: row?.dataset.reconnecting === 'true' && /Reconnecting…/.test(row.textContent ?? ''),
          present: !!tile,
        };
        const last = log[log.length - 1];
        if (!last || last.tile !== now.tile || last.row !== now.row || last.present !== now.present)
          log.push({ ...now, at: Date.now() });
      };
      look();
      new MutationObserver(look).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    },
    { name, id },
  );
}

/** On the frozen page itself: how many visible connection statuses at most, and whether its own tile greyed. */
async function watchOwnStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const own = { maxStatuses: 0, selfGreyed: false };
    (window as unknown as { own: typeof own }).own = own;
    new MutationObserver(() => {
      const statuses = [...document.querySelectorAll<HTMLElement>('body *')].filter(
        (el) =>
          el.children.length === 0 &&
          /reconnecting|connection lost/i.test(el.textContent ?? '') &&
          el.offsetParent !== null,
      ).length;
      own.maxStatuses = Math.max(own.maxStatuses, statuses);
      own.selfGreyed ||= !!document.querySelector('.tile.local.reconnecting');
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as { shown: Shown[] }).shown);

/** The watcher (shared browser) and the frozen one (a browser of its own) in a call, media flowing. */
async function call(label: string) {
  const id = room(label);
  const frozenBrowser = await FreezableBrowser.launch();
  const watcher = await joinRoom(browser, server.url, id, 'Watcher');
  const frozen = await joinRoom(frozenBrowser.browser, server.url, id, 'Frozen');
  const frozenId = await frozen.evaluate(() => (window as unknown as Sfu).sfu.client.participantId);
  const watcherId = await watcher.evaluate(() => (window as unknown as Sfu).sfu.client.participantId);
  await watcher.waitForSelector(remoteTile('Frozen'));
  await until(
    'Watcher decoding Frozen',
    () => framesFrom(watcher, frozenId),
    (n) => n > 10,
  );
  await until(
    'Frozen decoding Watcher',
    () => framesFrom(frozen, watcherId),
    (n) => n > 10,
  );
  await watcher.click('#toggle-people');
  await watcher.waitForSelector(`#people-list li[data-participant-id="${frozenId}"]`);
  await watchGreying(watcher, 'Frozen', frozenId);
  await watchOwnStatus(frozen);
  const events = recordRoomEvents(server, id);
  await events.ready;
  return { id, frozenBrowser, watcher, frozen, frozenId, watcherId, seen: events.seen };
}

test('a 2 s freeze: greyed "Reconnecting…" tile and people line, then PARTICIPANT_RECONNECTED, no leave, frames decoded again both ways', async () => {
  const { frozenBrowser, watcher, frozen, frozenId, watcherId, seen } = await call('blip');
  try {
    const frozenAt = Date.now();
    frozenBrowser.freeze();
    await sleep(2_000);
    frozenBrowser.thaw();
    await until(
      'PARTICIPANT_RECONNECTED',
      async () => seen.map((event) => event.type),
      (types) => types.includes('PARTICIPANT_RECONNECTED'),
      10_000,
    );
    const mine = seen
      .filter((event) => event.participantId === frozenId && event.type.startsWith('PARTICIPANT_'))
      .map((event) => event.type);
    expect(mine).toEqual(['PARTICIPANT_RECONNECTING', 'PARTICIPANT_RECONNECTED']);

    // Frames again, both ways (an ICE restart by the thawed page's SDK is allowed, a new seat is not).
    const watcherSaw = await framesFrom(watcher, frozenId);
    await until(
      'Watcher decoding Frozen again',
      () => framesFrom(watcher, frozenId),
      (n) => n > watcherSaw + 10,
    );
    const frozenSaw = await framesFrom(frozen, watcherId);
    await until(
      'Frozen decoding Watcher again',
      () => framesFrom(frozen, watcherId),
      (n) => n > frozenSaw + 10,
    );
    expect(await frozen.evaluate(() => (window as unknown as Sfu).sfu.client.participantId)).toBe(frozenId);

    // The watcher's page greyed the tile and the people line while it lasted, and cleared both.
    const changes = (await shown(watcher)).filter((change) => change.at >= frozenAt);
    expect(changes.some((change) => change.tile && change.row && change.present)).toBe(true);
    const last = (await shown(watcher)).at(-1)!;
    expect(last).toMatchObject({ tile: false, row: false, present: true });
    // The thawed page: its own outage shows at most once (the room bar), never as a greyed own tile.
    const own = await frozen.evaluate(
      () => (window as unknown as { own: { maxStatuses: number; selfGreyed: boolean } }).own,
    );
    expect(own.maxStatuses).toBeLessThanOrEqual(1);
    expect(own.selfGreyed).toBe(false);
    await sleep(1_000);
    expect(seen.filter((event) => event.type === 'PARTICIPANT_LEFT')).toEqual([]);
  } finally {
    await frozenBrowser.kill();
    await watcher.context().close();
  }
});

test('a longer freeze: PARTICIPANT_RECONNECTING, then PARTICIPANT_LEFT with CONNECTION_LOST within 5 s; the greyed tile goes', async () => {
  const { frozenBrowser, watcher, frozenId, seen } = await call('freeze');
  try {
    const frozenAt = Date.now();
    frozenBrowser.freeze();
    await watcher.waitForSelector(`${remoteTile('Frozen')}.reconnecting .tile-reconnecting`);
    await screenshot(watcher, 'reconnecting-tile');
    await until(
      'PARTICIPANT_LEFT',
      async () => seen.filter((event) => event.participantId === frozenId),
      (events) => events.some((event) => event.type === 'PARTICIPANT_LEFT'),
      10_000,
    );
    const mine = seen.filter((event) => event.participantId === frozenId);
    const left = mine.find((event) => event.type === 'PARTICIPANT_LEFT')!;
    console.info(`Chromium frozen -> PARTICIPANT_LEFT: ${left.at - frozenAt} ms`);
    expect(mine.map((event) => event.type).filter((type) => type.startsWith('PARTICIPANT_'))).toEqual([
      'PARTICIPANT_RECONNECTING',
      'PARTICIPANT_LEFT',
    ]);
    expect(left.reason).toBe('CONNECTION_LOST');
    expect(left.at - frozenAt).toBeLessThanOrEqual(5_000);

    await watcher.waitForSelector(remoteTile('Frozen'), { state: 'detached' });
    const changes = (await shown(watcher)).filter((change) => change.at >= frozenAt);
    // Greyed first (tile and people line), then gone.
    const greyed = changes.findIndex((change) => change.tile && change.row);
    expect(greyed).toBeGreaterThanOrEqual(0);
    expect(changes.slice(greyed).at(-1)).toMatchObject({ present: false });
  } finally {
    await frozenBrowser.kill();
    await watcher.context().close();
  }
});
