/**
 * Driving the conference page in Chromium: open it, join through the form, read what it shows,
 * and save screenshots of the main states under test-results/screenshots/ (see client/README.md).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

export const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-results', 'screenshots');

/** Saves a screenshot of the page as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

export async function openPage(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, ...options });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  const joins: Array<'socket' | 'http'> = [];
  joinsOf.set(page, joins);
  const isJoin = (text: string | null | undefined) => !!text && text.includes('mutation Join(');
  page.on('request', (request) => isJoin(request.postData()) && joins.push('http'));
  page.on('websocket', (socket) => {
    sockets.set(page, (sockets.get(page) ?? 0) + 1);
    socket.on('framesent', (frame) => isJoin(String(frame.payload)) && joins.push('socket'));
  });
  await page.goto(url);
  return page;
}

const joinsOf = new WeakMap<Page, Array<'socket' | 'http'>>();
const sockets = new WeakMap<Page, number>();

/** How many WebSocket connections the page opened so far. */
export const socketsOpened = (page: Page): number => sockets.get(page) ?? 0;

/** How each of the page's `join`s went to the server: over its graphql-ws socket or over HTTP. */
export const joinsSent = (page: Page): Array<'socket' | 'http'> => [...(joinsOf.get(page) ?? [])];

/** Waits until the preview holds `tracks` tracks (camera and microphone opened). */
export async function previewReady(page: Page, tracks = 2): Promise<void> {
  await page.waitForFunction(
    (count) =>
      ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream | null)?.getTracks()
        .length === count,
    tracks,
  );
}

/** Opens the page at `/?room=…`, fills the name, joins with camera and microphone (360p). */
export async function joinRoom(
  browser: Browser,
  baseUrl: string,
  roomId: string,
  name: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const page = await openPage(browser, `${baseUrl}/?room=${roomId}`, options);
  await page.fill('#name-input', name);
  await page.selectOption('#resolution-select', '360');
  await previewReady(page);
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  return page;
}

/** The remote tile showing `name` (a camera tile, or the screen tile with `(screen)`). */
export const remoteTile = (name: string) => `.tile:not(.local):has(.tile-name:text-is("${name}"))`;

/**
 * How much of a tile's video picture is cut off (0: all of it shows), from the element's box, its
 * object-fit and the decoded frame size.
 */
export function croppedFraction(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (el) => {
    const video = el.querySelector('video') as HTMLVideoElement;
    const fit = getComputedStyle(video).objectFit;
    if (!video.videoWidth || !video.videoHeight) return -1;
    if (fit === 'contain' || fit === 'scale-down') return 0;
    const box = video.getBoundingClientRect();
    const boxRatio = box.width / box.height;
    const picture = video.videoWidth / video.videoHeight;
    return 1 - Math.min(boxRatio / picture, picture / boxRatio);
  });
}
