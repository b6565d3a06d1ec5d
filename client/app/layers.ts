/**
 * Simulcast layers: a small tile asks the server for a small layer of that stream; a layer chosen
 * by hand (the test hook `sfu.setPreferredLayer`) stays until set back to automatic.
 */
import type { ConferenceClient } from '../sdk';
import type { Layout } from './layout';

/**
 * The smallest layer that still fills a tile this many device pixels wide, for a camera sent as
 * 1/4, 1/2 and full resolution of 1280x720; null (the server picks by bandwidth) for large tiles.
 */
export function layerForWidth(pixels: number): number | null {
  if (pixels <= 320) return 0;
  if (pixels <= 640) return 1;
  return null;
}

export class LayerChooser {
  /** Streams whose layer was chosen by hand: the tile size no longer decides. */
  readonly #manual = new Set<string>();
  /** Spatial layer last asked for per stream (absent: automatic, the server's default). */
  readonly #asked = new Map<string, number | null>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #observer: ResizeObserver | null;

  constructor(
    private readonly layout: Layout,
    private readonly client: () => ConferenceClient | undefined,
  ) {
    this.#observer =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver((entries) => {
            for (const entry of entries) {
              const streamId = (entry.target as HTMLElement).dataset.streamId;
              if (!streamId || this.#timers.has(streamId)) continue;
              // Resizes come in bursts (window drags, tiles joining): ask once they settle.
              this.#timers.set(
                streamId,
                setTimeout(() => this.#ask(streamId), 300),
              );
            }
          });
  }

  observe(el: HTMLElement): void {
    this.#observer?.observe(el);
  }

  unobserve(el: HTMLElement): void {
    this.#observer?.unobserve(el);
  }

  /** A new client starts with the server choosing every layer. */
  reset(): void {
    this.#asked.clear();
  }

  /** Pins a received stream's layer by hand (null, null: automatic again). */
  async setPreferred(
    streamId: string,
    spatial: number | null,
    temporal: number | null = null,
  ): Promise<void> {
    if (spatial === null && temporal === null) this.#manual.delete(streamId);
    else this.#manual.add(streamId);
    this.#asked.delete(streamId);
    await this.client()?.setPreferredLayer(streamId, spatial, temporal);
  }

  #ask(streamId: string): void {
    this.#timers.delete(streamId);
    const tile = this.layout.tiles.get(streamId);
    const client = this.client();
    if (!tile || !client || this.#manual.has(streamId)) return;
    const spatial = layerForWidth(tile.el.getBoundingClientRect().width * devicePixelRatio);
    if ((this.#asked.get(streamId) ?? null) === spatial) return;
    this.#asked.set(streamId, spatial);
    client
      .setPreferredLayer(streamId, spatial, null)
      .catch((error: unknown) => console.warn('could not choose a layer', error));
  }
}
