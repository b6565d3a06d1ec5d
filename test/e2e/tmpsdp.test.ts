import { chromium } from 'playwright-core';
import { startTestServer } from '../helpers/server';
jest.setTimeout(120_000);
test('sdp', async () => {
  const server = await startTestServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--use-fake-device-for-media-stream','--use-fake-ui-for-media-stream'] });
  const pages = [];
  for (const name of ['A', 'B']) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/?room=r1`);
    await page.fill('#name-input', name);
    await page.waitForFunction(() => ((document.getElementById('preview') as HTMLVideoElement).srcObject as MediaStream | null)?.getTracks().length === 2);
    await page.click('#join-button');
    await page.waitForSelector('#room-view:not([hidden])');
    pages.push(page);
  }
  await new Promise((r) => setTimeout(r, 4000));
  const sdp = await pages[0]!.evaluate(() => (window as any).sfu.pc.remoteDescription.sdp + '\n=====LOCAL\n' + (window as any).sfu.pc.localDescription.sdp);
  console.log(sdp.split('\n').filter((l: string) => /^m=|a=rid|a=simulcast|a=sendonly|a=recvonly|a=inactive|a=mid|=====|extmap/.test(l)).join('\n'));
  await browser.close();
  await server.dispose();
});
