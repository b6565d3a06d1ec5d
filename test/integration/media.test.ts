import * as MediaServer from 'medooze-media-server';
import { MediaEngine } from '../../src/media/MediaEngine';

describe('MediaEngine', () => {
  test('start() opens a UDP endpoint on 127.0.0.1 and stop() releases it', () => {
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    const status = engine.status();
    expect(status.state).toBe('running');
    expect(status.port).toBeGreaterThan(0);
    expect(engine.endpoint.getLocalCandidates()[0]?.getAddress()).toBe('127.0.0.1');
    engine.stop();
    engine.stop();
    expect(engine.status()).toEqual({ state: 'stopped', port: 0, announcedIp: '127.0.0.1' });
  });

  test('the addon offers the codecs the conference needs', () => {
    const capabilities = MediaServer.getDefaultCapabilities();
    const names = (kind: 'audio' | 'video') =>
      Array.from((capabilities[kind]?.codecs ?? []) as string[], (codec) => codec.toLowerCase());
    expect(names('audio')).toContain('opus');
    expect(names('video')).toEqual(expect.arrayContaining(['vp8', 'vp9']));
  });
});
