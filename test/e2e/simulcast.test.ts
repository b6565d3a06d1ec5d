/**
 * Simulcast end to end: a Chromium publisher sends its (fake, 1280x720) camera as three VP8
 * encodings; the server forwards to each subscriber the layer it pinned (setPreferredLayer), or the
 * one its bandwidth allows. What each subscriber decodes is read from its getStats() (frameWidth).
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(180_000);
// Known flake, seen in 1 of 5 runs on 2026-12-01: after the publisher re-publishes its camera, the
// subscriber pinned to the smallest layer sometimes decodes no new frames for the whole 45 s wait
// (the width stays 320, framesDecoded stops). Not understood yet; one retry keeps CI from failing
// on it while a real regression (failing twice) still fails. The log of the first attempt is kept.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

interface StreamStats {
  streamId: string;
  participantName: string;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
}

interface Sfu {
  client: {
    simulcast: boolean;
    localStream: MediaStream | null;
    publishTrack(
      track: MediaStreamTrack,
      stream: MediaStream,
      options?: { simulcast?: boolean },
    ): Promise<string>;
    unpublishTrack(track: MediaStreamTrack): Promise<void>;
  };
  pc: RTCPeerConnection;
  streamStats(): Promise<StreamStats[]>;
  setPreferredLayer(streamId: string, spatial: number | null, temporal: number | null): Promise<void>;
}

let server: TestServer;
let browser: Browser;
const requests: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

async function joinRoom(
  roomId: string,
  name: string,
  options: { publish: boolean; viewport?: { width: number; height: number } },
): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 640, height: 480 } });
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => console.error(`${name} page error:`, error.message));
  await page.goto(`${server.url}/?room=${roomId}`);
  await page.fill('#name-input', name);
  if (options.publish) {
    await page.selectOption('#resolution-select', '720');
    await page.waitForFunction(() => {
      const video = document.getElementById('preview') as HTMLVideoElement;
      const stream = video.srcObject as MediaStream | null;
      return stream?.getVideoTracks()[0]?.getSettings().width === 1280;
    });
  } else {
    await page.check('#watch-only');
  }
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  return page;
}

const sfu = <T>(page: Page, action: (sfu: Sfu) => T | Promise<T>): Promise<T> =>
  page.evaluate(`(${action.toString()})(window.sfu)`) as Promise<T>;

/** Pins the layer of the one stream the page receives (its first tile). */
const pinLayer = (page: Page, spatial: number, temporal: number | null): Promise<void> =>
  page.evaluate(
    ([layer, sublayer]) =>
      (window as unknown as { sfu: Sfu }).sfu.setPreferredLayer(
        document.querySelector<HTMLElement>('[data-stream-id]')!.dataset.streamId!,
        layer,
        sublayer,
      ),
    [spatial, temporal] as const,
  );

const videoOf = async (page: Page, publisher: string): Promise<StreamStats | undefined> =>
  (await sfu(page, (s) => s.streamStats())).find((stats) => stats.participantName === publisher);

/** The decoded width once it has stayed the same, with frames still decoded, for `steadyMs`. */
async function steadyWidth(
  page: Page,
  publisher: string,
  ok: (width: number) => boolean | Promise<boolean>,
  steadyMs = 3000,
) {
  let since = 0;
  let width = -1;
  let frames = 0;
  return until(
    `a steady decoded width from ${publisher}`,
    async () => {
      const stats = await videoOf(page, publisher);
      const now = Date.now();
      if (
        !stats ||
        stats.frameWidth !== width ||
        !(await ok(stats.frameWidth)) ||
        stats.framesDecoded <= frames
      ) {
        since = now;
      }
      width = stats?.frameWidth ?? -1;
      frames = stats?.framesDecoded ?? 0;
      return { width, height: stats?.frameHeight ?? 0, steadyFor: now - since };
    },
    (value) => value.steadyFor >= steadyMs,
    45_000,
  );
}

/** Frames decoded per second over `ms`, and the decoded width. */
async function frameRate(page: Page, ms = 3000): Promise<{ fps: number; width: number }> {
  const before = (await videoOf(page, 'Pub'))!;
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = (await videoOf(page, 'Pub'))!;
  return {
    fps: Math.round(((after.framesDecoded - before.framesDecoded) * 10_000) / ms) / 10,
    width: after.frameWidth,
  };
}

/** Bits per second received (subscribers) or sent per rid (publisher) over `ms`, from getStats(). */
async function bitrates(page: Page, ms = 2000): Promise<Record<string, { kbps: number; width?: number }>> {
  const sample = () =>
    sfu(page, async (s) => {
      const out: Record<string, { bytes: number; width?: number }> = {};
      (await s.pc.getStats()).forEach(
        (r: {
          type: string;
          kind?: string;
          rid?: string;
          bytesSent?: number;
          bytesReceived?: number;
          frameWidth?: number;
        }) => {
          if (r.kind !== 'video') return;
          if (r.type === 'outbound-rtp')
            out[`sent ${r.rid ?? '-'}`] = { bytes: r.bytesSent ?? 0, width: r.frameWidth };
          if (r.type === 'inbound-rtp') out.received = { bytes: r.bytesReceived ?? 0, width: r.frameWidth };
        },
      );
      return out;
    });
  const before = await sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await sample();
  return Object.fromEntries(
    Object.entries(after).map(([key, value]) => [
      key,
      { kbps: Math.round(((value.bytes - (before[key]?.bytes ?? 0)) * 8) / ms), width: value.width },
    ]),
  );
}

test('each subscriber decodes the simulcast layer it pinned, also after the stream is published anew', async () => {
  const room = `simulcast-${Date.now().toString(36)}`;
  const publisher = await joinRoom(room, 'Pub', { publish: true });
  expect(await sfu(publisher, (s) => s.client.simulcast)).toBe(true);
  const small = await joinRoom(room, 'Small', { publish: false });
  const large = await joinRoom(room, 'Large', { publish: false });
  // Large tiles (1920 px wide window): the page leaves the choice to the server's bandwidth estimate.
  const auto = await joinRoom(room, 'Auto', { publish: false, viewport: { width: 1920, height: 1080 } });
  const joined = Date.now();
  for (const page of [small, large, auto]) {
    await until(
      'video from Pub',
      () => videoOf(page, 'Pub'),
      (stats) => (stats?.framesDecoded ?? 0) > 0,
    );
  }
  const streamId = (await videoOf(small, 'Pub'))!.streamId;
  await pinLayer(small, 0, null);
  await pinLayer(large, 2, null);

  const smallWidth = await steadyWidth(small, 'Pub', (width) => width > 0 && width <= 320);
  const largeWidth = await steadyWidth(large, 'Pub', (width) => width >= 1280);
  const autoWidth = await steadyWidth(auto, 'Pub', (width) => width >= 1280);
  const autoTopAfterMs = Date.now() - joined - autoWidth.steadyFor;
  const report: Record<string, unknown> = {
    small: { ...smallWidth, ...(await bitrates(small)) },
    large: { ...largeWidth, ...(await bitrates(large)) },
    auto: { ...autoWidth, topLayerAfterMs: autoTopAfterMs, ...(await bitrates(auto)) },
    publisher: await bitrates(publisher),
  };
  console.log(JSON.stringify(report, null, 1));
  expect(smallWidth.width).toBeLessThan(largeWidth.width);

  // The publisher takes its camera off and puts it back: the stream (same id) is gone, then
  // subscribed anew; the pins still hold.
  await sfu(publisher, async (s) => {
    const local = s.client.localStream!;
    for (const track of local.getTracks()) await s.client.unpublishTrack(track);
  });
  await until(
    'the stream gone',
    () => videoOf(small, 'Pub'),
    (stats) => stats === undefined,
  );
  await sfu(publisher, async (s) => {
    const local = s.client.localStream!;
    await s.client.publishTrack(local.getVideoTracks()[0]!, local, { simulcast: true });
    await s.client.publishTrack(local.getAudioTracks()[0]!, local);
  });
  const smallAgain = await steadyWidth(small, 'Pub', (width) => width > 0 && width <= 320);
  const largeAgain = await steadyWidth(large, 'Pub', (width) => width >= 1280);
  expect((await videoOf(small, 'Pub'))!.streamId).toBe(streamId);
  console.log(JSON.stringify({ republished: { small: smallAgain, large: largeAgain } }));

  // A temporal pin: Large keeps the full resolution at the base frame rate (Chrome sends VP8
  // simulcast with three temporal layers: the base one is a quarter of the frames).
  const fullRate = await frameRate(large);
  await pinLayer(large, 2, 0);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const baseRate = await frameRate(large);
  console.log(JSON.stringify({ framesPerSecond: { allTemporalLayers: fullRate, temporalLayer0: baseRate } }));
  expect(baseRate.fps).toBeLessThan(fullRate.fps * 0.6);
  expect(baseRate.width).toBe(fullRate.width);

  // Back to automatic for Small: its bandwidth estimate only knew the low layer's bitrate; probing
  // raises it, and a higher layer follows.
  const released = Date.now();
  await sfu(small, (s) =>
    s.setPreferredLayer(
      document.querySelector<HTMLElement>('[data-stream-id]')!.dataset.streamId!,
      null,
      null,
    ),
  );
  const climbed = await steadyWidth(small, 'Pub', (width) => width > 320);
  console.log(
    JSON.stringify({ releasedSmall: { ...climbed, afterMs: Date.now() - released - climbed.steadyFor } }),
  );

  const origin = new URL(server.url);
  expect(requests.filter((url) => new URL(url).hostname !== origin.hostname)).toEqual([]);
});

/** PLIs the publisher's video sender has received so far (summed over its encodings). */
const publisherPlis = (page: Page): Promise<number> =>
  sfu(page, async (s) => {
    let plis = 0;
    (await s.pc.getStats()).forEach((r: { type: string; kind?: string; pliCount?: number }) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') plis += r.pliCount ?? 0;
    });
    return plis;
  });

test('a subscriber moving between temporal layers asks the publisher for no keyframe', async () => {
  // medooze gives VP8's temporal layers spatial id 0 and its VP8 selector says 255: every temporal
  // switch of the bandwidth allocation sent a PLI (scripts/medooze-patches/). At 320x240 Chromium
  // sends one simulcast encoding (the first, at 80x60: it allows one layer at that size), so no
  // switch between encodings (which does need a keyframe) mixes in.
  const room = `temporal-${Date.now().toString(36)}`;
  const publisher = await joinRoom(room, 'Pub', { publish: true });
  await sfu(publisher, async (s) => {
    const local = s.client.localStream!;
    // Audio too: the page shows one stream per participant here (videoOf reads the first one).
    for (const track of local.getTracks()) await s.client.unpublishTrack(track);
    const small = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
    await s.client.publishTrack(small.getVideoTracks()[0]!, small, { simulcast: true });
  });
  // A large window: the page leaves the layer to the server's bandwidth estimate (see above).
  const watcher = await joinRoom(room, 'Watcher', {
    publish: false,
    viewport: { width: 1920, height: 1080 },
  });
  await steadyWidth(watcher, 'Pub', (width) => width > 0);
  const before = await publisherPlis(publisher);
  // The watcher's layers stay automatic (no spatial pin); only the top temporal layer changes, a
  // PLI window and more apart so that medooze would not merge the requests.
  for (const temporal of [0, 2, 1, 2, 0, 2]) {
    await watcher.evaluate(
      (top) =>
        (window as unknown as { sfu: Sfu }).sfu.setPreferredLayer(
          document.querySelector<HTMLElement>('[data-stream-id]')!.dataset.streamId!,
          null,
          top,
        ),
      temporal,
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
  const after = await publisherPlis(publisher);
  console.log(JSON.stringify({ temporalSwitches: { plis: after - before } }));
  expect(after - before).toBeLessThanOrEqual(1);
  for (const page of [publisher, watcher]) await page.context().close();
});

/**
 * The width of the top spatial layer the publisher encodes now. Chromium's CPU adaptation lowers
 * the input resolution of a VP9 SVC encoder on a loaded machine (CI saw 960x540 out of a 1280x720
 * camera), so "the largest layer" is what it sends, not what the camera gives.
 */
const sentWidth = (page: Page): Promise<number> =>
  sfu(page, async (s) => {
    let width = 0;
    (await s.pc.getStats()).forEach((r: { type: string; kind?: string; frameWidth?: number }) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') width = Math.max(width, r.frameWidth ?? 0);
    });
    return width;
  });

test('VP9 rooms: the camera goes out with SVC layers, and the same pins choose among them', async () => {
  // An id of its own per attempt: a retry must not meet the room of the first one.
  const room = `svc-${Date.now().toString(36)}`;
  const created = await server.gql(
    `mutation { createRoom(input: { id: "${room}", videoCodec: VP9 }) { id } }`,
  );
  expect(created.errors).toBeUndefined();
  const publisher = await joinRoom(room, 'Pub', { publish: true });
  const small = await joinRoom(room, 'Small', { publish: false });
  const large = await joinRoom(room, 'Large', { publish: false });
  for (const page of [small, large]) {
    await until(
      'video from Pub',
      () => videoOf(page, 'Pub'),
      (stats) => (stats?.framesDecoded ?? 0) > 0,
    );
  }
  const mode = await sfu(publisher, async (s) => {
    let found = '';
    (await s.pc.getStats()).forEach((r: { type: string; kind?: string; scalabilityMode?: string }) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') found = r.scalabilityMode ?? '';
    });
    return found;
  });
  expect(mode).toBe('L3T3_KEY');
  await pinLayer(small, 0, null);
  await pinLayer(large, 2, null);
  // The bottom layer is a quarter of the top one whatever the top one is (L3T3: 1:2:4).
  const smallWidth = await steadyWidth(
    small,
    'Pub',
    async (width) => width > 0 && width * 4 <= (await sentWidth(publisher)),
  );
  const largeWidth = await steadyWidth(
    large,
    'Pub',
    async (width) => width > 0 && width >= (await sentWidth(publisher)),
  );
  console.log(
    JSON.stringify({ svc: { small: smallWidth, large: largeWidth, sent: await sentWidth(publisher) } }),
  );
  expect(smallWidth.width * 4).toBeLessThanOrEqual(largeWidth.width);
  for (const page of [publisher, small, large]) await page.context().close();
});
