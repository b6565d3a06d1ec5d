import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
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
import { checkFrom } from '../helpers/stunProbe';
import { TestPeer } from '../helpers/weriftPeer';

/** The local address of the UDP socket on `port`, from /proc/net/udp (Linux). */
function boundAddress(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1];
    if (!local?.endsWith(`:${hexPort}`)) continue;
    const hex = local.split(':')[0] ?? '';
    return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  return undefined;
}

function localIPv4Addresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((addresses) =>
    (addresses ?? []).filter((address) => address.family === 'IPv4').map((address) => address.address),
  );
}

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
    expect(engine.status()).toEqual({
      state: 'stopped',
      port: 0,
      announcedIp: '127.0.0.1',
      listenIp: '127.0.0.1',
    });
  });

  // scripts/medooze-patches/bundle-binds-announced-address.patch: bound to 0.0.0.0, medooze answered
  // a check from another local address (a browser's host candidate) from that address, not the
  // announced one; Chromium dropped the answer and connected ~50 ms later via a peer-reflexive pair.
  test('ICE checks are answered from the announced address, whatever address they come from', async () => {
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    const client = new TestPeer();
    try {
      expect(boundAddress(engine.status().port)).toBe('127.0.0.1');
      const offer = await client.createOffer();
      const peer = engine.create(engine.parseDescription(offer), {
        videoCodec: 'VP8' as VideoCodec,
        listener: {
          onPublishedChanged: () => undefined,
          onRenegotiationNeeded: () => undefined,
          onLost: () => undefined,
        },
      });
      const answer = SDPInfo.parse(peer.createAnswer());
      const offered = SDPInfo.parse(offer);
      const credentials = {
        username: `${answer.getICE().getUfrag()}:${offered.getICE().getUfrag()}`,
        password: answer.getICE().getPwd(),
      };
      const to = { ip: '127.0.0.1', port: engine.status().port };
      // A check from loopback, and one from each other address of this host (the case that broke).
      const sources = ['127.0.0.1', ...localIPv4Addresses().filter((ip) => ip !== '127.0.0.1')];
      for (const from of sources) {
        await expect(checkFrom(from, to, credentials)).resolves.toEqual({
          address: '127.0.0.1',
          port: to.port,
        });
      }
      await peer.close();
    } finally {
      await client.close();
      engine.stop();
    }
  });

  test('the media socket binds MEDIA_LISTEN_IP, else the announced address when it is local, else all', () => {
    expect(new MediaEngine({ announcedIp: '127.0.0.1' }).listenIp).toBe('127.0.0.1');
    // An address behind 1:1 NAT is not this host's: binding it would fail.
    expect(new MediaEngine({ announcedIp: '203.0.113.7' }).listenIp).toBe('0.0.0.0');
    expect(new MediaEngine({ announcedIp: '203.0.113.7', listenIp: '127.0.0.1' }).listenIp).toBe('127.0.0.1');
    const engine = new MediaEngine({ announcedIp: '127.0.0.1', listenIp: '0.0.0.0' });
    engine.start();
    try {
      expect(boundAddress(engine.status().port)).toBe('0.0.0.0');
    } finally {
      engine.stop();
    }
    // Not an address of this host: one sentence naming the setting.
    expect(() => new MediaEngine({ announcedIp: '127.0.0.1', listenIp: '192.0.2.254' }).start()).toThrow(
      /could not bind 192\.0\.2\.254 \(MEDIA_LISTEN_IP/,
    );
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

  /**
   * Runs `check` with a started engine, logger.warn spied on, the patch check forgotten before and
   * after; `text` is a medooze first offer, as a client offer would come.
   */
  function withPatchCheck(
    check: (parts: { engine: MediaEngine; warn: jest.SpyInstance; text: string }) => void,
  ): void {
    const engine = new MediaEngine({ announcedIp: '127.0.0.1' });
    engine.start();
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    forgetMedoozePatchCheck();
    const offerer = engine.endpoint.createSDPManager('unified-plan', MediaServer.getDefaultCapabilities());
    try {
      check({ engine, warn, text: offerer.createLocalDescription() });
    } finally {
      offerer.stop();
      forgetMedoozePatchCheck();
      warn.mockRestore();
      engine.stop();
    }
  }

  test('an unpatched medooze is given the text, and the operator is told once', () => {
    // What `npm ci --ignore-scripts` or a medooze upgrade the patch no longer fits would leave:
    // a processRemoteDescription that only takes text. Joins must keep working.
    withPatchCheck(({ warn, text }) => {
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
    });
  });

  test('the installed medooze takes parsed descriptions (the patch applied at install)', () => {
    withPatchCheck(({ engine, warn, text }) => {
      const answerer = engine.endpoint.createSDPManager('unified-plan', MediaServer.getDefaultCapabilities());
      const info = SDPInfo.parse(text);
      const toString = jest.spyOn(info, 'toString');
      applyRemoteDescription(answerer, { sdp: text, info });
      expect(toString).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
      answerer.stop();
    });
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
