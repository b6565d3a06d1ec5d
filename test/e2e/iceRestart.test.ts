/**
 * ICE restart mid-call in Chromium: the page's SDK restarts ICE on the same peer connection
 * (`restartIce()` + `renegotiate`), the server restarts ICE on the same medooze transport and
 * answers with new credentials; media keeps being decoded both ways and nobody leaves.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, until } from '../helpers/browser';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

interface StreamStats {
  participantId: string;
  participantName: string;
  framesDecoded: number;
}
type Sfu = {
  sfu: {
    streamStats(): Promise<StreamStats[]>;
    pc: RTCPeerConnection;
    client: { participantId: string; restartIce(): Promise<void> };
  };
};

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
}, 60_000);

async function joinRoom(roomId: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${server.url}/?room=${roomId}`);
  await page.fill('#name-input', name);
  await page.selectOption('#resolution-select', '360');
  await page.waitForFunction(() => {
    const video = document.getElementById('preview') as HTMLVideoElement;
    return (video.srcObject as MediaStream | null)?.getTracks().length === 2;
  });
  await page.click('#join-button');
  await page.waitForSelector('#room-view:not([hidden])');
  return page;
}

const frames = async (page: Page): Promise<number> =>
  (await page.evaluate(() => (window as unknown as Sfu).sfu.streamStats())).reduce(
    (sum, stream) => sum + stream.framesDecoded,
    0,
  );
const ufrag = (page: Page, which: 'localDescription' | 'remoteDescription') =>
  page.evaluate(
    (key) => /a=ice-ufrag:(\S+)/.exec((window as unknown as Sfu).sfu.pc[key]?.sdp ?? '')?.[1],
    which,
  );

test('restartIce() + renegotiate mid-call: new ufrag in the answer, frames decoded both ways within 2 s, same participant', async () => {
  const ann = await joinRoom('ice-restart', 'ann');
  const ben = await joinRoom('ice-restart', 'ben');
  await until(
    'both decoding',
    async () => [await frames(ann), await frames(ben)],
    ([a, b]) => a! > 10 && b! > 10,
  );
  const annId = await ann.evaluate(() => (window as unknown as Sfu).sfu.client.participantId);
  const before = {
    server: await ufrag(ann, 'remoteDescription'),
    client: await ufrag(ann, 'localDescription'),
  };
  const left: string[] = [];
  server.app.conference.observer.on('participantLeft', (_room, reason, id) => left.push(`${id}:${reason}`));

  await ann.evaluate(() => (window as unknown as Sfu).sfu.client.restartIce());
  const restartedAt = Date.now();
  expect(await ufrag(ann, 'localDescription')).not.toBe(before.client);
  expect(await ufrag(ann, 'remoteDescription')).not.toBe(before.server);

  const [annFrames, benFrames] = [await frames(ann), await frames(ben)];
  await until(
    'frames decoded on both sides after the restart',
    async () => [await frames(ann), await frames(ben)],
    ([a, b]) => a! > annFrames + 5 && b! > benFrames + 5,
  );
  const resumedIn = Date.now() - restartedAt;
  console.info(`ICE restart: frames decoded both ways ${resumedIn} ms after the answer`);
  // On this machine a restart on the same connection resumes in 0.3-0.8 s (the same before and after
  // the control-plane work), and 1.06 s once under a concurrent test run; what this bound tells apart is a
  // reconnect or an ICE timeout (several seconds to 30 s). How fast is the benchmark's to measure.
  expect(resumedIn).toBeLessThan(2_000);
  expect(await ann.evaluate(() => (window as unknown as Sfu).sfu.pc.iceConnectionState)).toMatch(
    /connected|completed/,
  );
  // The client's checks with the new credentials reach medooze's transport, which now expects them.
  const username = `${await ufrag(ann, 'remoteDescription')}:${await ufrag(ann, 'localDescription')}`;
  const transport = () =>
    [...server.app.media.endpoint.transports].find((candidate) => candidate.getICEUsername() === username);
  expect(transport()).toBeDefined();
  const checks = transport()!.getStats().ice?.requestsReceived ?? 0;
  await until(
    'checks on the new credentials',
    async () => transport()?.getStats().ice?.requestsReceived ?? 0,
    (n) => n > checks,
    10_000,
  );
  expect(server.app.conference.participantsOf('ice-restart').map((p) => p.id)).toContain(annId);
  expect(left).toEqual([]);
});
