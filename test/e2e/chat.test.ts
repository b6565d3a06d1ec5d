/**
 * Chat and raised hands on the conference page, in Chromium against the real server: a public
 * message reaches everyone, a private one only its recipient (never a third page's list or unread
 * count), a raised hand shows on the tile and in the people list and goes when lowered, and a page
 * that reloads and joins again sees the public history (once).
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { joinRoom, previewReady, remoteTile, screenshot } from '../helpers/page';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(150_000);

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

const texts = (page: Page) => page.$$eval('#chat-list .chat-text', (els) => els.map((el) => el.textContent));
const unread = (page: Page) =>
  page.$eval('#chat-unread', (el) => ((el as HTMLElement).hidden ? 0 : Number(el.textContent)));

async function send(page: Page, text: string, to = 'Everyone'): Promise<void> {
  await page.selectOption('#chat-to', { label: to });
  await page.fill('#chat-input', text);
  await page.click('#chat-send');
  await page.waitForFunction(() => (document.getElementById('chat-input') as HTMLInputElement).value === '');
}

test('public and private messages, raised hands, history after a rejoin', async () => {
  const id = `chat-${Date.now().toString(36)}`;
  const alice = await joinRoom(browser, server.url, id, 'Alice');
  const bob = await joinRoom(browser, server.url, id, 'Bob');
  const carol = await joinRoom(browser, server.url, id, 'Carol');
  for (const page of [alice, bob, carol])
    await page.waitForFunction(() => document.querySelectorAll('#chat-to option').length === 3);

  // Alice opens the chat and writes to everyone: all three see it, with her name; the others count it unread.
  await alice.click('#toggle-chat');
  await send(alice, 'Hello everyone');
  for (const page of [alice, bob, carol])
    await until(
      'the public message',
      () => texts(page),
      (t) => t.includes('Hello everyone'),
    );
  expect(await alice.textContent('#chat-list .chat-from')).toBe('Alice (you)');
  expect(await bob.textContent('#chat-list .chat-from')).toBe('Alice');
  expect(await bob.getAttribute('#chat-list time', 'datetime')).toBeTruthy();
  expect(await unread(alice)).toBe(0);
  await until(
    'Bob unread 1',
    () => unread(bob),
    (n) => n === 1,
  );
  await until(
    'Carol unread 1',
    () => unread(carol),
    (n) => n === 1,
  );

  // Privately to Bob: Bob gets it, Carol never does (list and unread count).
  await send(alice, 'Just for Bob', 'Bob');
  await until(
    'Bob getting the private message',
    () => texts(bob),
    (t) => t.includes('Just for Bob'),
  );
  await until(
    'Bob unread 2',
    () => unread(bob),
    (n) => n === 2,
  );
  expect(await bob.getAttribute('#chat-list li:last-child', 'data-private')).toBe('true');
  await bob.click('#toggle-chat');
  expect(await unread(bob)).toBe(0);
  await screenshot(bob, 'chat-private');
  // A later public message proves Carol's events have come past the private one.
  await send(alice, 'Back to everyone');
  await until(
    'Carol getting the later message',
    () => texts(carol),
    (t) => t.includes('Back to everyone'),
  );
  expect(await texts(carol)).toEqual(['Hello everyone', 'Back to everyone']);
  expect(await carol.content()).not.toContain('Just for Bob');
  expect(await unread(carol)).toBe(2);

  // Bob raises his hand: Alice sees it on his tile and in the people list; lowered, it goes.
  await alice.waitForSelector(remoteTile('Bob'));
  const bobRow = '#people-list li:has(.person-name:text-is("Bob"))';
  await bob.click('#hand-button');
  await alice.waitForSelector(`${remoteTile('Bob')} .tile-hand`, { state: 'attached' });
  await alice.waitForSelector(`${bobRow} [data-hand-raised]`, { state: 'attached' });
  expect(await bob.textContent('#hand-button')).toBe('Lower hand');
  await alice.click('#toggle-people');
  await screenshot(alice, 'chat-hand-raised');
  await bob.click('#hand-button');
  await alice.waitForSelector(`${remoteTile('Bob')} .tile-hand`, { state: 'detached' });
  await alice.waitForSelector(`${bobRow} [data-hand-raised]`, { state: 'detached' });
  expect(await bob.textContent('#hand-button')).toBe('Raise hand');

  // Carol reloads and joins again: the public history, once each, and still not the private one.
  await carol.reload();
  await carol.fill('#name-input', 'Carol');
  await carol.selectOption('#resolution-select', '360');
  await previewReady(carol);
  await carol.click('#join-button');
  await carol.waitForSelector('#room-view:not([hidden])');
  await until(
    'the history after the rejoin',
    () => texts(carol),
    (t) => t.length >= 2,
  );
  expect(await texts(carol)).toEqual(['Hello everyone', 'Back to everyone']);
  expect(await carol.content()).not.toContain('Just for Bob');
  // Bob, who got the private one, keeps seeing everything once.
  expect(await texts(bob)).toEqual(['Hello everyone', 'Just for Bob', 'Back to everyone']);

  // Bob's socket drops: on reconnecting the SDK reads the history again, and nothing comes twice.
  await bob.evaluate(() =>
    (window as unknown as { sfu: { client: { dropSocket(): void } } }).sfu.client.dropSocket(),
  );
  await until(
    'Bob reconnected',
    () => bob.evaluate(() => (window as unknown as { sfu: { states: string[] } }).sfu.states.slice(-2)),
    (states) => states.join() === 'reconnecting,connected',
  );
  await send(alice, 'After the drop');
  await until(
    'Bob getting the message after the drop',
    () => texts(bob),
    (t) => t.includes('After the drop'),
  );
  const sdkIds = await bob.evaluate(() =>
    (window as unknown as { sfu: { client: { messages: { id: string }[] } } }).sfu.client.messages.map(
      (m) => m.id,
    ),
  );
  expect(sdkIds).toHaveLength(4);
  expect(new Set(sdkIds).size).toBe(4);
  expect(await texts(bob)).toEqual(['Hello everyone', 'Just for Bob', 'Back to everyone', 'After the drop']);

  for (const page of [alice, bob, carol]) await page.context().close();
});
