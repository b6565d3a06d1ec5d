/**
 * Video tiles: a picture (or the avatar when the camera is off), the name, mute and connection
 * cues, an audio-level ring, a reconnecting state, and pin / fullscreen buttons. Tiles are keyed by stream id (remote),
 * 'local' and 'screen' (your own share). Where tiles go is the layout's job (layout.ts).
 */
import { h, icon } from './dom';

export type TileKind = 'camera' | 'screen';

export interface TileOptions {
  key: string;
  stream: MediaStream | null;
  name: string;
  local?: boolean;
  kind?: TileKind;
  participantId?: string;
}

export class Tile {
  readonly el: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly key: string;
  readonly kind: TileKind;
  readonly local: boolean;
  readonly participantId: string | undefined;
  readonly stream: MediaStream | null;
  readonly #bars: HTMLElement;
  /** The camera is off as the publisher said (remote) or as the local track is (yours). */
  #camOff = false;

  constructor(options: TileOptions, onPin: (tile: Tile) => void) {
    this.key = options.key;
    this.kind = options.kind ?? 'camera';
    this.local = !!options.local;
    this.participantId = options.participantId;
    this.stream = options.stream;
    const video = h('video', { autoplay: '', playsinline: '' });
    video.muted = this.local;
    if (options.stream) video.srcObject = options.stream;
    this.video = video;
    const avatar = h('div', { class: 'avatar' }, (options.name.trim()[0] ?? '?').toUpperCase());
    const label = h('span', { class: 'tile-name' }, this.local ? `${options.name} (you)` : options.name);
    this.#bars = h('span', { class: 'quality-bars', 'data-bars': '0', title: 'Connection quality' });
    this.#bars.append(h('i'), h('i'), h('i'));
    this.#bars.hidden = true;
    const pin = h('button', { type: 'button', class: 'tile-button', 'data-action': 'pin', title: 'Pin' });
    pin.innerHTML = icon('pin', 16);
    pin.addEventListener('click', () => onPin(this));
    const full = h('button', {
      type: 'button',
      class: 'tile-button',
      'data-action': 'fullscreen',
      title: 'Full screen',
    });
    full.innerHTML = icon('fullscreen', 16);
    full.addEventListener('click', () => void this.el.requestFullscreen?.().catch(() => undefined));
    const buttons = h('div', { class: 'tile-buttons' }, pin, full);
    const mic = h('span', { class: 'tile-mic', title: 'Microphone muted' });
    mic.innerHTML = icon('micOff', 16);
    this.el = h(
      'div',
      { class: this.local ? 'tile local' : 'tile', 'data-key': this.key, 'data-kind': this.kind },
      avatar,
      video,
      label,
      mic,
      this.#bars,
      buttons,
    );
    this.el.tabIndex = 0;
    if (options.participantId) this.el.dataset.participantId = options.participantId;
    if (!this.local) this.el.dataset.streamId = this.key;
    this.el.addEventListener('dblclick', () => onPin(this));
    options.stream?.addEventListener('addtrack', () => this.refresh());
    options.stream?.addEventListener('removetrack', () => this.refresh());
    this.refresh();
  }

  /** A remote camera turned off or on (TRACK_MUTED of its video track). */
  setCameraOff(off: boolean): void {
    this.#camOff = off;
    this.refresh();
  }

  setMicMuted(muted: boolean): void {
    this.el.classList.toggle('mic-muted', muted);
  }

  /**
   * The server has not heard from this participant for a moment: the tile greys and says so until
   * it is back (or leaves). The label exists only while it applies (one visible status).
   */
  setReconnecting(reconnecting: boolean): void {
    this.el.classList.toggle('reconnecting', reconnecting);
    const label = this.el.querySelector('.tile-reconnecting');
    if (!reconnecting) label?.remove();
    else if (!label)
      this.el.append(h('span', { class: 'tile-reconnecting', role: 'status' }, 'Reconnecting…'));
  }

  setSpeaking(speaking: boolean): void {
    this.el.classList.toggle('speaking', speaking && this.kind === 'camera');
  }

  /** 0 to 1: drawn as a ring whose width follows the voice. */
  setLevel(level: number): void {
    this.el.style.setProperty('--level', level.toFixed(2));
    this.el.classList.toggle('talking', level > 0.05);
  }

  /** 1 (poor) to 3 (good); 0 hides the bars. */
  setQuality(bars: number): void {
    this.#bars.hidden = bars === 0;
    this.#bars.dataset.bars = String(bars);
    this.#bars.title = ['', 'Poor connection', 'Fair connection', 'Good connection'][bars] ?? '';
  }

  /** Shows the avatar when there is no picture: no video track, or the camera is off. */
  refresh(): void {
    const video = this.stream?.getVideoTracks() ?? [];
    const showing = video.some((t) => t.enabled && t.readyState === 'live') && !this.#camOff;
    this.el.classList.toggle('no-video', !showing);
  }

  remove(): void {
    this.video.srcObject = null;
    this.el.remove();
  }
}
