import type * as MediaServer from 'medooze-media-server';
import { LayerSelection } from './LayerSelection';
import type { LayerPreference } from './LayerSelector';
import type { Publication } from './Publication';
import { Subscription } from './Subscription';

type Transport = MediaServer.Transport;

/**
 * What is forwarded to one peer: a Subscription per stream, by stream id (their outgoing streams
 * live on the peer's transport), the peer's layer wishes per stream, and the layer selection that
 * picks, within them, what its bandwidth allows.
 */
export class PeerSubscriptions {
  /** What is forwarded to it, by stream id. */
  readonly #byStreamId = new Map<string, Subscription>();
  /** Layer wishes per forwarded stream id; kept across unsubscribe/subscribe of the same stream. */
  readonly #preferences = new Map<string, LayerPreference>();
  #layers: LayerSelection | undefined;

  /** `canReceive`: whether the peer's transport is up (and the peer open). */
  constructor(private readonly canReceive: () => boolean) {}

  all(): IterableIterator<Subscription> {
    return this.#byStreamId.values();
  }

  streamIds(): string[] {
    return [...this.#byStreamId.keys()];
  }

  /** Forwards `publication` as stream `streamId` on `transport` (again: brings it up to date). */
  subscribe(transport: Transport, publication: Publication, streamId: string): void {
    const existing = this.#byStreamId.get(streamId);
    if (existing?.publication === publication) {
      existing.sync();
      return;
    }
    if (existing) this.unsubscribe(streamId);
    const subscription = new Subscription(
      publication,
      transport.createOutgoingStream({ id: streamId }),
      this.#preferences.get(streamId),
      (ended) => this.#forget(ended),
      this.canReceive,
      () => this.#layers?.adapt(),
    );
    this.#byStreamId.set(streamId, subscription);
    publication.attach(subscription);
  }

  /** Pins the layers of forwarded stream `streamId` (undefined: chosen by bandwidth again). */
  setPreference(streamId: string, preference: LayerPreference | undefined): void {
    if (preference) this.#preferences.set(streamId, preference);
    else this.#preferences.delete(streamId);
    const subscription = this.#byStreamId.get(streamId);
    if (subscription) subscription.preference = preference;
    this.#layers?.adapt();
  }

  unsubscribe(streamId: string): void {
    const subscription = this.#byStreamId.get(streamId);
    if (!subscription) return;
    this.#byStreamId.delete(streamId);
    subscription.stop();
  }

  unsubscribeAll(): void {
    for (const streamId of [...this.#byStreamId.keys()]) this.unsubscribe(streamId);
  }

  /** Layer selection runs on `transport` from now on (`svc`: every forwarded video has layers). */
  selectLayers(transport: Transport, svc: boolean): void {
    this.#layers = new LayerSelection(transport, () => this.#byStreamId.values(), svc);
  }

  stopLayerSelection(): void {
    this.#layers?.stop();
    this.#layers = undefined;
  }

  /** A publication this peer receives ended: its subscription is gone. */
  #forget(subscription: Subscription): void {
    if (this.#byStreamId.get(subscription.streamId) === subscription) {
      this.#byStreamId.delete(subscription.streamId);
    }
  }
}
