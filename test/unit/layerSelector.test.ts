import type { ForwardedVideo, LayerPreference } from '../../src/media/LayerSelector';
import { LayerSelector } from '../../src/media/LayerSelector';

/**
 * The selection policy against stand-ins for medooze's transport, transponder and incoming track,
 * shaped like what Chromium's VP8 simulcast looks like to medooze (three encodings, three temporal
 * layers each, bitrates in bps).
 */
interface Layer {
  encodingId: string;
  spatialLayerId: number;
  temporalLayerId: number;
  bitrate: number;
}

function simulcastTrack(
  sizes: Record<string, [number, number] | undefined>,
  bitrates: Record<string, number>,
) {
  const ids = Object.keys(bitrates);
  const layers: Layer[] = ids
    .flatMap((id) =>
      [0, 1, 2].map((temporalLayerId) => ({
        encodingId: id,
        spatialLayerId: 0,
        temporalLayerId,
        bitrate: Math.round(bitrates[id]! * [0.4, 0.65, 1][temporalLayerId]!),
      })),
    )
    .sort((a, b) => b.bitrate - a.bitrate);
  const active = ids.map((id) => ({
    id,
    bitrate: bitrates[id]!,
    width: sizes[id]?.[0],
    height: sizes[id]?.[1],
  }));
  const calls: string[] = [];
  let selected: Layer | undefined;
  const transponder = {
    muted: false,
    getIncomingTrack: () => incoming,
    isMuted: () => transponder.muted,
    setMaximumLayers: (s: number, t: number) => calls.push(`max ${s} ${t}`),
    getSelectedLayer: () => selected,
    selectEncoding: (id: string) => calls.push(`encoding ${id}`),
    selectLayer: (s: number, t: number) => calls.push(`layer ${s} ${t}`),
    setTargetBitrate: (target: number) => {
      const index = layers.findIndex((layer) => layer.bitrate <= target);
      const chosen = index >= 0 ? index : layers.length - 1;
      selected = layers[chosen];
      calls.push(`target ${Math.round(target)} -> ${selected!.encodingId}${selected!.temporalLayerId}`);
      return Object.assign(new Number(selected!.bitrate), {
        layerIndex: chosen,
        encodingId: selected!.encodingId,
      });
    },
  };
  const incoming = {
    getActiveLayers: () => ({ active, layers, inactive: [] }),
    getEncodings: () => ids.map((id) => ({ id })),
  };
  const track = {
    getTransponder: () => transponder,
    getStats: () => ({ bitrate: 0 }),
  };
  return { track, calls, transponder };
}

function fakeTransport() {
  const settings: Record<string, unknown> = {};
  return {
    settings,
    setMaxProbingBitrate: (bps: number) => (settings.maxProbing = bps),
    setProbingBitrateLimit: (bps: number) => (settings.limit = bps),
    setBandwidthProbing: (on: boolean) => (settings.probing = on),
  };
}

const CHROME = { q: 150_000, h: 350_000, f: 750_000 };
const SIZES = { q: [320, 180], h: [640, 360], f: [1280, 720] } as Record<string, [number, number]>;

function setup(sizes = SIZES, bitrates: Record<string, number> = CHROME) {
  const transport = fakeTransport();
  const selector = new LayerSelector(transport as never);
  const video = simulcastTrack(sizes, bitrates);
  const forwarded = [{ streamId: 's', track: video.track }] as unknown as ForwardedVideo[];
  return { transport, selector, video, forwarded };
}

const prefs = (preference?: LayerPreference) =>
  new Map<string, LayerPreference>(preference ? [['s', preference]] : []);

describe('LayerSelector', () => {
  test('a pinned spatial layer picks the encoding by resolution, lowest first, and clamps to the highest', () => {
    // While f ramps up it may send less than h: the pin goes by size, not by bitrate.
    const { selector, video, forwarded } = setup(SIZES, { q: 150_000, h: 350_000, f: 200_000 });
    selector.allocate(forwarded, prefs({ spatial: 0, temporal: null }), 0);
    expect(video.calls).toContain('encoding q');
    video.calls.length = 0;
    selector.allocate(forwarded, prefs({ spatial: 2, temporal: 1 }), 0);
    expect(video.calls).toEqual(['max 255 255', 'encoding f', 'layer 255 1']);
    video.calls.length = 0;
    selector.allocate(forwarded, prefs({ spatial: 9, temporal: null }), 0);
    expect(video.calls).toContain('encoding f');
  });

  test('before medooze knows every size, the pin follows the order of the SDP (q;h;f)', () => {
    const { selector, video, forwarded } = setup({ q: [320, 180] });
    selector.allocate(forwarded, prefs({ spatial: 1, temporal: null }), 0);
    expect(video.calls).toContain('encoding h');
  });

  test('automatic: the estimate minus what else is sent decides; probing runs while below the best layer', () => {
    const { selector, video, forwarded, transport } = setup();
    selector.setTarget(500_000);
    selector.allocate(forwarded, prefs(), 40_000);
    // 460 kbps left, asked with the 10 % upswitch margin: h at full frame rate (350 kbps).
    expect(video.calls.at(-1)).toBe('target 418182 -> h2');
    expect(transport.settings.probing).toBe(true);
    expect(transport.settings.limit).toBe(Math.round((750_000 + 40_000) * 1.15));
    // Plenty of bandwidth: the best layer, and no more padding.
    selector.setTarget(2_000_000);
    selector.allocate(forwarded, prefs(), 40_000);
    expect(video.calls.at(-1)).toMatch(/-> f2$/);
    expect(transport.settings.probing).toBe(false);
  });

  test('hysteresis: the current layer stays while it fits, a higher one needs the margin', () => {
    const { selector, video, forwarded } = setup();
    selector.setTarget(400_000);
    selector.allocate(forwarded, prefs(), 0);
    expect(video.calls.at(-1)).toBe('target 363636 -> h2');
    // 355 kbps: h2 (350 kbps) still fits, so it stays (without hysteresis: h1).
    selector.setTarget(355_000);
    selector.allocate(forwarded, prefs(), 0);
    expect(video.calls.at(-1)).toBe('target 350000 -> h2');
    // 780 kbps would fit f2 (750 kbps), but not with the margin: f at two thirds of the frames.
    selector.setTarget(780_000);
    selector.allocate(forwarded, prefs(), 0);
    expect(video.calls.at(-1)).toBe('target 709091 -> f1');
  });

  test('a temporal cap alone keeps the automatic choice under that temporal layer', () => {
    const { selector, video, forwarded } = setup();
    selector.allocate(forwarded, prefs({ spatial: null, temporal: 0 }), 0);
    expect(video.calls[0]).toBe('max 255 0');
  });

  test('a muted transponder is left alone (choosing a layer would unmute it)', () => {
    const { selector, video, forwarded } = setup();
    video.transponder.muted = true;
    selector.allocate(forwarded, prefs({ spatial: 0, temporal: null }), 0);
    selector.allocate(forwarded, prefs(), 0);
    expect(video.calls).toEqual([]);
  });
});
