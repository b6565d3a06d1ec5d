import type * as MediaServer from 'medooze-media-server';
import { logger } from '../shared/logger';
import { type ForwardedVideo, type LayerPreference, LayerSelector } from './LayerSelector';
import { guarded } from './medoozeQuirks';
import type { Subscription } from './Subscription';

type Transport = MediaServer.Transport;
type OutgoingStreamTrack = MediaServer.OutgoingStreamTrack;

/** Layers are chosen again this often (and at each bandwidth estimate, about every 250 ms). */
const LAYER_INTERVAL_MS = 1000;

/**
 * When one subscriber's layers are chosen: at each bandwidth estimate of its transport
 * (`targetbitrate`) and every second (also without estimates, none before media flows, so pins and
 * new encodings are applied). The choice itself is LayerSelector's.
 */
export class LayerSelection {
  readonly #selector: LayerSelector;
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  constructor(
    transport: Transport,
    /** The subscriptions forwarded to the subscriber now. */
    private readonly subscriptions: () => Iterable<Subscription>,
    /** Whether the room's video is SVC (VP9): every forwarded video then has layers. */
    private readonly svc: boolean,
  ) {
    this.#selector = new LayerSelector(transport);
    transport.on(
      'targetbitrate',
      guarded('targetbitrate', (target) => {
        if (this.#stopped) return;
        this.#selector.setTarget(target);
        this.adapt();
      }),
    );
    this.#timer = setInterval(
      guarded('layer timer', () => this.adapt()),
      LAYER_INTERVAL_MS,
    );
    this.#timer.unref();
  }

  /** Chooses the layers of every forwarded video that has some to choose from. */
  adapt(): void {
    if (this.#stopped) return;
    const forwarded: ForwardedVideo[] = [];
    const others: OutgoingStreamTrack[] = [];
    const preferences = new Map<string, LayerPreference>();
    const subscriptions = new Map<string, Subscription>();
    for (const subscription of this.subscriptions()) {
      subscriptions.set(subscription.streamId, subscription);
      const { layered, single } = subscription.layering(this.svc);
      forwarded.push(...layered);
      others.push(...single);
      if (subscription.preference) preferences.set(subscription.streamId, subscription.preference);
    }
    if (forwarded.length === 0) return;
    try {
      const otherBitrate = others.reduce((sum, track) => sum + track.getStats().bitrate, 0);
      const before = forwarded.map(({ track }) => selectedLayer(track));
      this.#selector.allocate(forwarded, preferences, otherBitrate);
      forwarded.forEach(({ streamId, track }, i) => {
        const now = selectedLayer(track);
        // A new encoding or a higher spatial layer starts at its next keyframe: ask for it now
        // (medooze PLIs a new encoding itself, but not a higher SVC layer until a second passes;
        // the publication keeps to one request per PLI window for all its subscribers).
        const previous = before[i];
        if (!previous || !now) return;
        if (now.encoding !== previous.encoding || now.spatial > previous.spatial) {
          subscriptions.get(streamId)?.publication.requestKeyframe();
        }
      });
    } catch (error) {
      // An encoding or track can vanish between reading the layers and selecting one.
      logger.debug({ err: error }, 'layer selection skipped');
    }
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}

/** What the transponder of a forwarded video sends now (undefined before it is attached). */
function selectedLayer(track: OutgoingStreamTrack): { encoding: string; spatial: number } | undefined {
  const transponder = track.getTransponder();
  if (!transponder) return undefined;
  const encoding = transponder.getSelectedEncoding();
  const spatial = transponder.getSelectedSpatialLayerId();
  return { encoding: String(encoding ?? ''), spatial: typeof spatial === 'number' ? spatial : -1 };
}
