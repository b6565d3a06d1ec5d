import { chromium, type Page } from 'playwright-core';
import { startTestServer } from '../helpers/server';
jest.setTimeout(170_000);
const ARGS = ['--no-sandbox','--disable-gpu','--use-fake-device-for-media-stream','--use-fake-ui-for-media-stream'];
test('codecs', async () => {
  const server = await startTestServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  async function join(room: string, name: string, watch: boolean, before?: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    if (before) await page.addInitScript(before);
    await page.goto(`${server.url}/?room=${room}`);
    await page.fill('#name-input', name);
    if (watch) await page.check('#watch-only');
    else {
      await page.selectOption('#resolution-select', '720');
      await page.waitForFunction(() => ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream | null)?.getVideoTracks()[0]?.getSettings().width === 1280);
    }
    await page.click('#join-button');
    await page.waitForSelector('#room-view:not([hidden])');
    return page;
  }
  const stats = (page: Page) => page.evaluate(async () => {
    const sfu = (window as any).sfu;
    const out: any[] = [];
    (await sfu.pc.getStats()).forEach((r: any) => { if (r.kind === 'video' && (r.type === 'inbound-rtp' || r.type === 'outbound-rtp')) out.push({ t: r.type, rid: r.rid, w: r.frameWidth, fps: r.framesPerSecond, sm: r.scalabilityMode, enc: r.encoderImplementation }); });
    return { simulcast: sfu.client.simulcast, out, enc: sfu.pc.getSenders().map((s: any) => s.track?.kind === 'video' ? JSON.stringify(s.getParameters().encodings) : '').filter(Boolean) };
  });
  for (const [room, input] of [['h264', '{ id: "h264", videoCodec: H264 }'], ['nosim', '{ id: "nosim", simulcast: false }'], ['vp9', '{ id: "vp9", videoCodec: VP9 }']] as const) {
    console.log(JSON.stringify(await server.gql(`mutation { createRoom(input: ${input}) { id videoCodec simulcast } }`)));
    const pub = await join(room, 'Pub', false);
    const sub = await join(room, 'Sub', true);
    await new Promise((r) => setTimeout(r, 8000));
    console.log(room, JSON.stringify(await stats(pub)), JSON.stringify(await stats(sub)));
    // force simulcast in a room that does not take it
    const forced = await pub.evaluate(async (roomId) => {
      const sfu = (window as any).sfu;
      const Client = sfu.client.constructor;
      const c = new Client();
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
      await c.join(roomId, 'Forced', stream, { simulcast: true });
      await new Promise((r) => setTimeout(r, 4000));
      const out: any[] = [];
      (await c.getStats()).forEach((r: any) => { if (r.type === 'outbound-rtp' && r.kind === 'video') out.push({ rid: r.rid, w: r.frameWidth }); });
      const enc = JSON.stringify(c.peerConnection.getSenders()[0].getParameters().encodings);
      await c.leave();
      return { simulcast: c.simulcast, out, enc };
    }, room);
    console.log(room, 'forced', JSON.stringify(forced));
    await pub.context().close(); await sub.context().close();
  }
  // VP9 SVC publisher: inject scalabilityMode
  const inject = `(() => { const orig = RTCPeerConnection.prototype.addTransceiver; RTCPeerConnection.prototype.addTransceiver = function (t, init) { if (t && t.kind === 'video' && init && init.direction === 'sendonly') init = { ...init, sendEncodings: [{ scalabilityMode: 'L3T3_KEY' }] }; return orig.call(this, t, init); }; })();`;
  await server.gql(`mutation { createRoom(input: { id: "svc", videoCodec: VP9 }) { id } }`);
  const pub = await join('svc', 'Pub', false, inject);
  const a = await join('svc', 'A', true);
  const b = await join('svc', 'B', true);
  await new Promise((r) => setTimeout(r, 6000));
  const sid = await a.evaluate(() => document.querySelector<HTMLElement>('[data-stream-id]')!.dataset.streamId!);
  await a.evaluate((id) => (window as any).sfu.setPreferredLayer(id, 0, null), sid);
  await b.evaluate((id) => (window as any).sfu.setPreferredLayer(id, 2, null), sid);
  await new Promise((r) => setTimeout(r, 8000));
  console.log('svc', JSON.stringify(await stats(pub)), JSON.stringify(await stats(a)), JSON.stringify(await stats(b)));
  await a.evaluate((id) => (window as any).sfu.setPreferredLayer(id, 1, 0), sid);
  await new Promise((r) => setTimeout(r, 5000));
  console.log('svc a=1,0', JSON.stringify(await stats(a)));
  await browser.close();
  await server.dispose();
});
