/**
 * The conference page in real browsers: Debian chromium (playwright-core) with fake camera and
 * microphone, against the real server (real medooze). Participants join through the form and each
 * must decode every other participant's video and receive their audio.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

interface StreamStats {
  streamId: string;
  participantId: string;
  participantName: string;
  framesDecoded: number;
  audioPacketsReceived: number;
}

let server: TestServer;
let browser: Browser;
const requests: string[] = [];
/** `answer` mutations each page sent, by how: an HTTP POST or a frame on its signalling socket. */
const answersSent = { http: 0, socket: 0 };
const isAnswer = (text: string | null | undefined): boolean => /mutation Answer\b/.test(text ?? '');

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  const page = await context.newPage();
  page.on('request', (request) => {
    requests.push(request.url());
    if (request.method() === 'POST' && isAnswer(request.postData())) answersSent.http++;
  });
  page.on('websocket', (ws) => {
    requests.push(ws.url());
    ws.on('framesent', (frame) => {
      if (typeof frame.payload === 'string' && isAnswer(frame.payload)) answersSent.socket++;
    });
  });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
}

async function joinRoom(roomId: string, name: string): Promise<Page> {
  const page = await openPage();
  await page.goto(`${server.url}/?room=${roomId}`);
  await page.fill('#name-input', name);
  await page.selectOption('#resolution-select', '360');
  // Wait until the preview is live (camera and microphone opened), so join sends both tracks.
  await page.waitForFunction(() => {
    const video = document.getElementById('preview') as HTMLVideoElement;
    return (video.srcObject as MediaStream | null)?.getTracks().length === 2;
  });
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  return page;
}

const streamStats = (page: Page): Promise<StreamStats[]> =>
  page.evaluate(() =>
    (window as unknown as { sfu: { streamStats(): Promise<StreamStats[]> } }).sfu.streamStats(),
  );

const tileNames = (page: Page): Promise<string[]> =>
  page.$$eval('.tile:not(.local) .tile-name', (els) => els.map((el) => el.textContent ?? '').sort());

/** Waits until `page` decodes video and receives audio from exactly `others`, both still growing. */
async function expectMediaFrom(page: Page, self: string, others: string[]): Promise<StreamStats[]> {
  const expected = [...others].sort();
  const first = await until(
    `${self} receiving ${expected.join(', ')}`,
    () => streamStats(page),
    (stats) =>
      JSON.stringify(stats.map((s) => s.participantName).sort()) === JSON.stringify(expected) &&
      stats.every((s) => s.framesDecoded > 0 && s.audioPacketsReceived > 0),
  );
  const later = await until(
    `${self}'s media growing`,
    () => streamStats(page),
    (stats) =>
      stats.length === first.length &&
      stats.every((s) => {
        const before = first.find((f) => f.streamId === s.streamId);
        return (
          !!before &&
          s.framesDecoded > before.framesDecoded &&
          s.audioPacketsReceived > before.audioPacketsReceived
        );
      }),
  );
  expect(await tileNames(page)).toEqual(expected);
  return later;
}

const report: Record<string, StreamStats[]> = {};

test('three participants see and hear each other; one leaves; a socket drops; a late joiner is seen by everyone; screen share', async () => {
  const room = `e2e-${Date.now().toString(36)}`;
  const alice = await joinRoom(room, 'Alice');
  const bob = await joinRoom(room, 'Bob');
  const carol = await joinRoom(room, 'Carol');

  report.alice = await expectMediaFrom(alice, 'Alice', ['Bob', 'Carol']);
  report.bob = await expectMediaFrom(bob, 'Bob', ['Alice', 'Carol']);
  report.carol = await expectMediaFrom(carol, 'Carol', ['Alice', 'Bob']);
  // Carol, the last, found the others there: her join answer carried them, no server offer came
  // (Alice and Bob got Carol by a server offer).
  const lastRemoteDescription = (page: Page) =>
    page.evaluate(
      () =>
        (window as unknown as { sfu: { client: { peerConnection?: RTCPeerConnection } } }).sfu.client
          .peerConnection?.remoteDescription?.type,
    );
  expect(await lastRemoteDescription(carol)).toBe('answer');
  expect(await lastRemoteDescription(bob)).toBe('offer');
  expect(await lastRemoteDescription(alice)).toBe('offer');
  // Those server offers were answered on the signalling socket, not by HTTP requests: the
  // answer is what starts Carol's video for them, a round trip sooner.
  expect(answersSent.socket).toBeGreaterThanOrEqual(3);
  expect(answersSent.http).toBe(0);

  // The participant list shows everyone.
  expect(
    await alice.$$eval('#people-list li', (els) =>
      els.map((el) => (el.querySelector('.person-name') ?? el).textContent),
    ),
  ).toEqual(['Alice (you)', 'Bob', 'Carol']);

  await carol.click('#leave-button');
  await carol.waitForSelector('#join-view:not([hidden])');
  for (const [page, others] of [
    [alice, ['Bob']],
    [bob, ['Alice']],
  ] as const) {
    await until(
      'Carol gone',
      () => tileNames(page),
      (names) => JSON.stringify(names) === JSON.stringify(others),
    );
  }
  await carol.context().close();

  // Bob's signalling socket drops: graphql-ws reconnects and re-subscribes, and Bob still gets
  // (and answers) the server offer Dave's arrival causes.
  await bob.evaluate(() =>
    (window as unknown as { sfu: { client: { dropSocket(): void } } }).sfu.client.dropSocket(),
  );
  await until(
    "Bob's reconnection",
    () => bob.evaluate(() => (window as unknown as { sfu: { states: string[] } }).sfu.states.slice(-2)),
    (states) => JSON.stringify(states) === JSON.stringify(['reconnecting', 'connected']),
  );

  const dave = await joinRoom(room, 'Dave');
  report.dave = await expectMediaFrom(dave, 'Dave', ['Alice', 'Bob']);
  report.aliceAfter = await expectMediaFrom(alice, 'Alice', ['Bob', 'Dave']);
  report.bobAfter = await expectMediaFrom(bob, 'Bob', ['Alice', 'Dave']);

  // Screen share: publishTrack -> renegotiate (client offer) while the server re-offers to the others.
  await alice.click('#screen-button');
  for (const [page, who] of [
    [bob, 'Bob'],
    [dave, 'Dave'],
  ] as const) {
    const stats = await until(
      `${who} decoding Alice's screen`,
      () => streamStats(page),
      (all) => all.filter((s) => s.participantName === 'Alice' && s.framesDecoded > 0).length === 2,
    );
    report[`${who.toLowerCase()}Screen`] = stats.filter((s) => s.participantName === 'Alice');
    await until(
      `${who}'s screen tile`,
      () => tileNames(page),
      (names) => names.includes('Alice (screen)'),
    );
  }
  await alice.click('#screen-button');
  for (const [page, others] of [
    [bob, ['Alice', 'Dave']],
    [dave, ['Alice', 'Bob']],
  ] as const) {
    await until(
      'screen tile gone',
      () => tileNames(page),
      (names) => JSON.stringify(names) === JSON.stringify(others),
    );
  }

  // Alice mutes her microphone: Bob's page shows it on her tile; unmuting clears it.
  const aliceMuted = () =>
    bob.evaluate(() =>
      [...document.querySelectorAll('.tile.mic-muted .tile-name')].map((e) => e.textContent),
    );
  await alice.click('#mic-button');
  await until('Bob seeing Alice muted', aliceMuted, (names) => names.includes('Alice'));
  await alice.click('#mic-button');
  await until('Bob seeing Alice unmuted', aliceMuted, (names) => !names.includes('Alice'));

  const summary = Object.entries(report).map(
    ([who, stats]) =>
      `${who}: ${stats.map((s) => `${s.participantName} frames=${s.framesDecoded} audioPackets=${s.audioPacketsReceived}`).join('; ')}`,
  );
  console.log(summary.join('\n'));

  // Nothing left 127.0.0.1 (data: and blob: URLs stay in the page).
  const origin = new URL(server.url);
  const outside = requests.filter((url) => {
    const u = new URL(url);
    return !(u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === origin.hostname);
  });
  expect(outside).toEqual([]);
  expect(requests.length).toBeGreaterThan(0);
});

test('the page loads nothing from outside 127.0.0.1', async () => {
  const page = await openPage();
  const seen: string[] = [];
  page.on('request', (request) => seen.push(request.url()));
  await page.goto(`${server.url}/`);
  await page.waitForLoadState('networkidle');
  expect(seen.length).toBeGreaterThanOrEqual(3); // index.html, main.js, main.css
  for (const url of seen) expect(new URL(url).hostname).toBe('127.0.0.1');
  expect(await page.locator('#join-form').isVisible()).toBe(true);
  // The room id is prefilled with a random one when the URL has none.
  expect(await page.inputValue('#room-input')).toMatch(/^[a-z0-9]+$/);
  await page.context().close();
});
