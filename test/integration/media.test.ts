import * as MediaServer from 'medooze-media-server';
import { SDPInfo } from 'semantic-sdp';
import type { VideoCodec } from '../../src/conference/codecs';
import { MediaEngine } from '../../src/media/MediaEngine';
import { TestPeer } from '../helpers/weriftPeer';

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

describe('client descriptions', () => {
  const listener = {
    onPublishedChanged: () => undefined,
    onRenegotiationNeeded: () => undefined,
    onLost: () => undefined,
  };

  // scripts/medooze-patches/sdp-manager-takes-parsed-description.patch: medooze takes our parsed
  // description instead of parsing the string again and writing it back (a string nobody read).
  test('an offer is parsed once and never written back to text: medooze takes the parsed description', async () => {
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    const client = new TestPeer();
    try {
      const offer = await client.createOffer();
      const parse = jest.spyOn(SDPInfo, 'parse');
      const toString = jest.spyOn(SDPInfo.prototype, 'toString');
      try {
        const description = engine.parseDescription(offer);
        const peer = engine.create(description, { videoCodec: 'VP8' as VideoCodec, listener });
        const answer = peer.createAnswer();
        expect(parse).toHaveBeenCalledTimes(1);
        // The one text written is the answer.
        expect(toString).toHaveBeenCalledTimes(1);
        expect(answer).toContain('a=fingerprint:sha-256');
        expect(peer.publishedStreams().map((stream) => stream.id)).toEqual([client.streamId]);
        await peer.close();
      } finally {
        parse.mockRestore();
        toString.mockRestore();
      }
    } finally {
      await client.close();
      engine.stop();
    }
  });

  test('medooze still takes a string description (other callers), parsed and written back', () => {
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    try {
      const manager = engine.endpoint.createSDPManager('unified-plan', MediaServer.getDefaultCapabilities());
      const local = manager.createLocalDescription();
      const other = engine.endpoint.createSDPManager('unified-plan', MediaServer.getDefaultCapabilities());
      const written = (other.processRemoteDescription as unknown as (sdp: string) => unknown)(local);
      expect(typeof written).toBe('string');
      expect(written).toContain('a=fingerprint:sha-256');
      other.stop();
      manager.stop();
    } finally {
      engine.stop();
    }
  });
});
