import { LeaveReason } from './events';
import type { SignalingLink } from './ports';

/** How often presence is evaluated (detection is this much later at worst). */
export const PRESENCE_TICK_MS = 250;
/** Silent on every signal this long: the participant is suspect (reconnecting). */
export const SUSPECT_AFTER_MS = 1_000;
/** No sign of life from its signaling this long (whatever its media does): suspect too. */
export const SIGNALING_SUSPECT_AFTER_MS = 2_000;

/** A `negotiation` subscription not carried by a watched connection (in-process callers, tests). */
export const UNWATCHED_LINK: SignalingLink = {
  open: true,
  get lastSeen() {
    return performance.now();
  },
};

export interface PresenceListener {
  /** Suspect (true) or heard from again (false). */
  onReconnecting(reconnecting: boolean): void;
  /** Silent past the timeout: gone (CONNECTION_LOST, or SIGNALING_LOST with media still flowing). */
  onGone(reason: LeaveReason): void;
}

/**
 * Whether a participant is still there, from every signal it gives: its signaling connections
 * (keep-alive pongs, reported by the API through `SignalingLink`s, one per `negotiation`
 * subscription) and its media (`activity`: a counter that grows with every RTP packet and ICE
 * check medooze receives from it). Owned by its participant; `stop()` ends its timer.
 *
 * - silent on every signal for SUSPECT_AFTER_MS, or on its signaling for SIGNALING_SUSPECT_AFTER_MS:
 *   reconnecting; any sign of life clears it;
 * - silent on every signal for `timeoutMs`: gone with CONNECTION_LOST;
 * - media flowing but no signaling for `timeoutMs` (a closed socket that did not come back): gone
 *   with SIGNALING_LOST, since it cannot follow the room's renegotiations.
 * Media alone failing while signaling lives leaves it reconnecting: it may restart ICE (medooze's ICE
 * timeout and DTLS state still end a transport that is really dead).
 */
export class Presence {
  readonly #links = new Set<SignalingLink>();
  #lastSignal = 0;
  #lastMedia: number | null = null;
  #activity: number | null = null;
  #reconnecting = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly activity: () => number,
    private readonly listener: PresenceListener,
  ) {}

  get reconnecting(): boolean {
    return this.#reconnecting;
  }

  /** Starts watching (the participant is in its room now); a timeout of 0 watches nothing. */
  start(): void {
    if (this.#timer || this.timeoutMs <= 0) return;
    this.#lastSignal = performance.now();
    this.#timer = setInterval(() => this.#tick(), PRESENCE_TICK_MS);
    this.#timer.unref();
  }

  /** A `negotiation` subscription opened on `link`; returns what to call when it ends. */
  attach(link: SignalingLink): () => void {
    this.#links.add(link);
    this.#tick();
    return () => {
      if (!this.#links.delete(link)) return;
      if (link.open) this.#lastSignal = Math.max(this.#lastSignal, link.lastSeen);
      this.#tick();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#links.clear();
  }

  #tick(): void {
    if (!this.#timer) return;
    const now = performance.now();
    for (const link of this.#links) {
      if (link.open) this.#lastSignal = Math.max(this.#lastSignal, link.lastSeen);
    }
    const signalingSilent = now - this.#lastSignal;
    // Media activity only matters once signaling is quiet, and reading it is not free (medooze's
    // stats of every incoming track, four times a second per participant: most of the server's
    // CPU between joins in the bench). It is read from half the suspect time on, so two readings,
    // hence a change, are in before anyone can be suspected; a reading after a pause is only a start.
    if (signalingSilent >= Math.min(SUSPECT_AFTER_MS, this.timeoutMs) / 2) {
      const activity = this.activity();
      if (this.#activity !== null && activity !== this.#activity) this.#lastMedia = now;
      this.#activity = activity;
    } else {
      this.#activity = null;
    }
    const mediaSilent = this.#lastMedia === null ? Infinity : now - this.#lastMedia;
    const silent = Math.min(signalingSilent, mediaSilent);
    if (silent >= this.timeoutMs) {
      // Nobody ever listened for its offers and its media says nothing either: signaling it lacked.
      const neverWatched = this.#links.size === 0 && this.#lastMedia === null;
      return this.#gone(neverWatched ? LeaveReason.SIGNALING_LOST : LeaveReason.CONNECTION_LOST);
    }
    // Media still flowing, signaling gone: it cannot follow the room's renegotiations.
    if (signalingSilent >= this.timeoutMs && mediaSilent < SUSPECT_AFTER_MS)
      return this.#gone(LeaveReason.SIGNALING_LOST);
    const reconnecting =
      silent >= Math.min(SUSPECT_AFTER_MS, this.timeoutMs) ||
      signalingSilent >= Math.min(SIGNALING_SUSPECT_AFTER_MS, this.timeoutMs);
    if (reconnecting !== this.#reconnecting) {
      this.#reconnecting = reconnecting;
      this.listener.onReconnecting(reconnecting);
    }
  }

  #gone(reason: LeaveReason): void {
    this.stop();
    this.listener.onGone(reason);
  }
}
