import * as MediaServer from 'medooze-media-server';
import { SDPInfo } from 'semantic-sdp';
import type { VideoCodec } from '../../src/conference/codecs';
import { MediaEngine } from '../../src/media/MediaEngine';
import {
  type SDPManager,
  applyRemoteDescription,
  forgetMedoozePatchCheck,
} from '../../src/media/medoozeQuirks';
import { logger } from '../../src/shared/logger';
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

  test('an unpatched medooze is given the text, and the operator is told once', () => {
    // What `npm ci --ignore-scripts` or a medooze upgrade the patch no longer fits would leave:
    // a processRemoteDescription that only takes text. Joins must keep working.
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    forgetMedoozePatchCheck();
    try {
      const capabilities = MediaServer.getDefaultCapabilities();
      const offerer = engine.endpoint.createSDPManager('unified-plan', capabilities);
      const text = offerer.createLocalDescription();
      const given: unknown[] = [];
      const unpatched = {
        processRemoteDescription(sdp: string) {
          if (typeof sdp !== 'string') throw new TypeError('sdp.replace is not a function');
          given.push(sdp);
        },
      } as unknown as SDPManager;
      const description = { sdp: text, info: SDPInfo.parse(text) };
      applyRemoteDescription(unpatched, description);
      applyRemoteDescription(unpatched, description);
      expect(given).toEqual([text, text]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain('without our patches');
      offerer.stop();
    } finally {
      forgetMedoozePatchCheck();
      warn.mockRestore();
      engine.stop();
    }
  });

  test('the installed medooze takes parsed descriptions (the patch applied at install)', () => {
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    forgetMedoozePatchCheck();
    try {
      const capabilities = MediaServer.getDefaultCapabilities();
      const offerer = engine.endpoint.createSDPManager('unified-plan', capabilities);
      const answerer = engine.endpoint.createSDPManager('unified-plan', capabilities);
      const text = offerer.createLocalDescription();
      const info = SDPInfo.parse(text);
      const toString = jest.spyOn(info, 'toString');
      applyRemoteDescription(answerer, { sdp: text, info });
      expect(toString).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
      answerer.stop();
      offerer.stop();
    } finally {
      forgetMedoozePatchCheck();
      warn.mockRestore();
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
