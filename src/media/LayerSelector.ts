import type * as MediaServer from 'medooze-media-server';
import { logger } from '../shared/logger';

type Transport = MediaServer.Transport;
type OutgoingStreamTrack = MediaServer.OutgoingStreamTrack;
type Transponder = NonNullable<ReturnType<OutgoingStreamTrack['getTransponder']>>;
type ActiveLayers = ReturnType<MediaServer.IncomingStreamTrack['getActiveLayers']>;
type ActiveEncoding = ActiveLayers['active'][number];

/** A subscriber's wish for one forwarded stream's video: null is "whatever the bandwidth allows". */
export interface LayerPreference {
  spatial: number | null;
  temporal: number | null;
}

/** One forwarded video track whose layers may be chosen. */
export interface ForwardedVideo {
  streamId: string;
  track: OutgoingStreamTrack;
}

/** medooze's "no limit" layer id (LayerInfo.MaxLayerId). */
const MAX_LAYER = 0xff;
/** What a subscriber transport is assumed to carry before its first bandwidth estimate. */
const INITIAL_TARGET_BPS = 600_000;
/** Probing stops this far above what the best layers need (headroom for their bitrate swings). */
const PROBING_HEADROOM = 1.15;
/** At most this much padding per second while probing for more bandwidth. */
const MAX_PROBING_BPS = 1_500_000;
/** A higher layer is taken only when the target exceeds its bitrate by this much: no flapping. */
const UPSWITCH_MARGIN = 1.1;

/**
 * The encodings being sent, lowest resolution first: by the size medooze read from their keyframes,
 * or (before it knows every size) in the order the publisher's SDP lists them (q;h;f here).
 */
function lowestFirst(active: ActiveEncoding[], sdpOrder: string[]): ActiveEncoding[] {
  const area = (encoding: ActiveEncoding) => (encoding.width ?? 0) * (encoding.height ?? 0);
  const sized = active.every((encoding) => area(encoding) > 0);
  return [...active].sort((a, b) =>
    sized ? area(a) - area(b) || a.bitrate - b.bitrate : sdpOrder.indexOf(a.id) - sdpOrder.indexOf(b.id),
  );
}

/**
 * Chooses, for each simulcast (or SVC) video track forwarded to one subscriber, the encoding and
 * layers that fit the subscriber's bandwidth, or the ones the subscriber pinned.
 *
 * The bandwidth is medooze's sender-side estimate on the subscriber's transport (transport-cc
 * feedback from the browser, reported by the `targetbitrate` event about every 250 ms). What the
 * pinned tracks and the single-layer tracks (audio, screen shares without layers) use now is taken
 * off it, the rest is split evenly among the automatic tracks, and each gets
 * `transponder.setTargetBitrate(share)`: the highest layer whose measured bitrate fits, else the
 * lowest. While some automatic track is below its best layer, the transport probes with padding
 * (up to what the best layers need), so the estimate can grow past what is sent now.
 */
export class LayerSelector {
  #target: number | undefined;
  #probing = false;
  #probingLimit = 0;

  constructor(private readonly transport: Transport) {
    transport.setMaxProbingBitrate(MAX_PROBING_BPS);
  }

  /** The latest available bitrate medooze estimated for this transport (bps). */
  setTarget(bps: number): void {
    if (Number.isFinite(bps) && bps > 0) this.#target = bps;
  }

  /**
   * Applies preferences and bandwidth to the forwarded tracks. `otherBitrate` is what the
   * subscriber receives outside these tracks (bps).
   */
  allocate(
    forwarded: ForwardedVideo[],
    preferences: ReadonlyMap<string, LayerPreference>,
    otherBitrate: number,
  ): void {
    const automatic: Array<{ transponder: Transponder; info: ActiveLayers; temporal: number | null }> = [];
    let spent = otherBitrate;
    for (const { streamId, track } of forwarded) {
      const transponder = track.getTransponder();
      const incoming = transponder?.getIncomingTrack();
      // A muted transponder was muted by someone on purpose: choosing a layer would unmute it.
      if (!transponder || !incoming || transponder.isMuted()) continue;
      const info = incoming.getActiveLayers();
      if (info.layers.length === 0) continue;
      if (info.active.length <= 1 && info.layers.length <= 1) {
        spent += track.getStats().bitrate;
        continue; // a single layer: nothing to choose
      }
      const preference = preferences.get(streamId);
      if (preference && preference.spatial !== null) {
        const sdpOrder = incoming.getEncodings().map((encoding) => encoding.id);
        spent += this.#pin(transponder, info, sdpOrder, preference.spatial, preference.temporal);
      } else {
        automatic.push({ transponder, info, temporal: preference?.temporal ?? null });
      }
    }
    const target = this.#target ?? INITIAL_TARGET_BPS;
    const share = automatic.length > 0 ? Math.max(0, target - spent) / automatic.length : 0;
    let wanted = spent;
    let belowBest = false;
    for (const { transponder, info, temporal } of automatic) {
      transponder.setMaximumLayers(MAX_LAYER, temporal ?? MAX_LAYER);
      // Hysteresis: the current layer stays while it fits the share; a higher one needs a margin.
      const current = transponder.getSelectedLayer();
      const currentBitrate = current ? Math.max(current.bitrate, current.targetBitrate ?? 0) : 0;
      let ask = share / UPSWITCH_MARGIN;
      if (currentBitrate > 0 && currentBitrate <= share) ask = Math.max(ask, currentBitrate);
      // smooth: false = down at once (congestion), up only at the higher layer's next keyframe.
      const chosen = transponder.setTargetBitrate(ask, { smooth: false });
      const best = info.layers.find((layer) => temporal === null || layer.temporalLayerId <= temporal);
      wanted += best ? Math.max(best.bitrate, best.targetBitrate ?? 0) : 0;
      if (chosen && chosen.layerIndex > 0) belowBest = true;
    }
    this.#setProbing(belowBest, wanted * PROBING_HEADROOM);
  }

  /** Selects the pinned layer (clamped to what is sent now); returns its bitrate. */
  #pin(
    transponder: Transponder,
    info: ActiveLayers,
    sdpOrder: string[],
    spatial: number,
    temporal: number | null,
  ): number {
    transponder.setMaximumLayers(MAX_LAYER, MAX_LAYER);
    const encodings = lowestFirst(info.active, sdpOrder);
    if (encodings.length > 1) {
      // Simulcast: `spatial` indexes the encodings being sent, lowest resolution first.
      const encoding = encodings[Math.min(spatial, encodings.length - 1)]!;
      transponder.selectEncoding(encoding.id, true);
      transponder.selectLayer(MAX_LAYER, temporal ?? MAX_LAYER);
      return encoding.bitrate;
    }
    // SVC: `spatial` is the spatial layer id.
    const top = Math.max(
      ...info.layers.map((layer) => (layer.spatialLayerId === MAX_LAYER ? 0 : layer.spatialLayerId)),
    );
    const spatialId = Math.min(spatial, top);
    transponder.selectLayer(spatialId, temporal ?? MAX_LAYER);
    const layer = info.layers.find(
      (candidate) =>
        candidate.spatialLayerId <= spatialId && (temporal === null || candidate.temporalLayerId <= temporal),
    );
    return layer?.bitrate ?? 0;
  }

  #setProbing(probing: boolean, limit: number): void {
    try {
      if (probing && Math.abs(limit - this.#probingLimit) > this.#probingLimit * 0.05) {
        this.#probingLimit = limit;
        this.transport.setProbingBitrateLimit(Math.round(limit));
      }
      if (probing !== this.#probing) {
        this.#probing = probing;
        this.transport.setBandwidthProbing(probing);
        logger.debug({ probing, limit: Math.round(limit), target: this.#target }, 'bandwidth probing');
      }
    } catch (error) {
      logger.debug({ err: error }, 'probing settings on a stopping transport');
    }
  }
}
