/**
 * Where the tiles go. Grid view: all tiles the same size, as square a grid as fits. Speaker view
 * (or a pinned tile, or a screen share): one tile takes the stage, the others line up beside it.
 * Precedence: a pinned tile, then a screen share, then (speaker view) the active speaker.
 */
import { $ } from './dom';
import { Tile } from './tiles';

export type View = 'grid' | 'speaker';

const grid = (): HTMLElement => $('grid');

export class Layout {
  readonly tiles = new Map<string, Tile>();
  view: View = 'grid';
  #pinned: string | null = null;
  #speaker: string | null = null;
  /** Called after each change (to re-pick simulcast layers for resized tiles, update the title...). */
  onChange: () => void = () => undefined;

  add(tile: Tile): void {
    this.tiles.get(tile.key)?.remove();
    this.tiles.set(tile.key, tile);
    grid().append(tile.el);
    this.apply();
  }

  remove(key: string): void {
    this.tiles.get(key)?.remove();
    this.tiles.delete(key);
    if (this.#pinned === key) this.#pinned = null;
    this.apply();
  }

  clear(except?: (tile: Tile) => boolean): void {
    for (const tile of [...this.tiles.values()]) if (!except?.(tile)) this.remove(tile.key);
  }

  get pinned(): string | null {
    return this.#pinned;
  }

  togglePin(key: string): void {
    this.#pinned = this.#pinned === key ? null : key;
    this.apply();
  }

  setView(view: View): void {
    this.view = view;
    this.apply();
  }

  /** The participant speaking now (null: you). */
  setSpeaker(participantId: string | null): void {
    let key: string | null = null;
    for (const tile of this.tiles.values()) {
      const speaking =
        tile.kind === 'camera' && (participantId ? tile.participantId === participantId : tile.local);
      tile.setSpeaking(speaking);
      if (speaking) key = tile.key;
    }
    this.#speaker = key;
    if (this.view === 'speaker') this.apply();
  }

  /** The tile on the stage, if any. */
  stage(): Tile | undefined {
    if (this.#pinned && this.tiles.has(this.#pinned)) return this.tiles.get(this.#pinned);
    const tiles = [...this.tiles.values()];
    const screen =
      tiles.find((t) => t.kind === 'screen' && !t.local) ?? tiles.find((t) => t.kind === 'screen');
    if (screen) return screen;
    if (this.view !== 'speaker' || tiles.length < 2) return undefined;
    const speaker = this.#speaker ? this.tiles.get(this.#speaker) : undefined;
    return speaker && !speaker.local ? speaker : (tiles.find((t) => !t.local) ?? speaker);
  }

  apply(): void {
    const el = grid();
    const count = this.tiles.size;
    const stage = count > 1 ? this.stage() : undefined;
    for (const tile of this.tiles.values()) {
      tile.el.classList.toggle('stage', tile === stage);
      tile.el.classList.toggle('pinned', tile.key === this.#pinned);
      tile.el
        .querySelector('[data-action="pin"]')
        ?.setAttribute('aria-pressed', String(tile.key === this.#pinned));
    }
    // The stage first, then the others in the order they came.
    if (stage && el.firstElementChild !== stage.el) el.prepend(stage.el);
    el.dataset.layout = stage ? 'stage' : 'grid';
    el.dataset.view = this.view;
    const others = stage ? count - 1 : count;
    // Columns and rows for the available box: the one that leaves 16:9 tiles the largest.
    const { width, height } = el.getBoundingClientRect();
    let best = { cols: 1, rows: Math.max(1, others), size: 0 };
    for (let cols = 1; cols <= Math.max(1, others); cols++) {
      const rows = Math.ceil(others / cols);
      const tileWidth = Math.min(width / cols, ((height / rows) * 16) / 9);
      if (tileWidth > best.size) best = { cols, rows, size: tileWidth };
    }
    el.style.setProperty('--cols', String(best.cols));
    el.style.setProperty('--rows', String(best.rows));
    el.style.setProperty('--others', String(Math.max(1, others)));
    el.dataset.count = String(count);
    this.onChange();
  }
}
