import type { Participant } from './Participant';
import type { PeerStats, QualitySample, QualitySampleRepository } from './ports';
import { RetryingWriter, type RetryPolicy, type WriterRegistry } from './RetryingWriter';

export interface QualityRecorderOptions {
  /** Sampling interval (0: off). */
  intervalMs: number;
  /** Samples older than this are deleted (0: kept forever). */
  retentionMs: number;
}

/** Running totals of a participant's inbound packets, to turn them into loss per interval. */
interface Totals {
  packets: number;
  lost: number;
}

/** How often old samples are deleted, at most (and at least once per retention half-period). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Stores each participant's call quality at a modest interval, so an application (or the page)
 * can draw bitrate and loss over the call afterwards, and deletes what is past retention.
 */
export class QualityRecorder {
  #timer: NodeJS.Timeout | undefined;
  #lastPrune = 0;
  readonly #totals = new Map<string, Totals>();
  /** Samples, and retention deletes, in order, retried until the database takes them. */
  readonly #writer: RetryingWriter<QualitySample[] | { deleteBefore: Date }>;

  constructor(
    private readonly repository: QualitySampleRepository,
    private readonly participants: () => Iterable<Participant>,
    private readonly stats: (participant: Participant) => PeerStats | null,
    private readonly options: QualityRecorderOptions,
    registry: WriterRegistry | null = null,
    policy?: RetryPolicy,
  ) {
    this.#writer = new RetryingWriter(
      'quality samples',
      async (batch) => {
        // Idempotent both: samples already stored are skipped, and deleting again deletes nothing.
        for (const item of batch) {
          if (Array.isArray(item)) await this.repository.append(item);
          else await this.repository.deleteBefore(item.deleteBefore);
        }
      },
      registry,
      policy,
    );
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.options.intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling (what was sampled stays on its way to the database). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves once every sample taken so far is stored. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Takes one sample of everyone now (the timer calls it; tests may too). */
  sample(at = new Date()): QualitySample[] {
    const samples: QualitySample[] = [];
    const seen = new Set<string>();
    for (const participant of this.participants()) {
      const stats = participant.present ? this.stats(participant) : null;
      if (!stats) continue;
      seen.add(participant.id);
      samples.push(this.#measure(participant, stats, at));
    }
    for (const id of this.#totals.keys()) if (!seen.has(id)) this.#totals.delete(id);
    return samples;
  }

  #measure(participant: Participant, stats: PeerStats, at: Date): QualitySample {
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    const packets = sum(stats.inbound.map((track) => track.packets));
    const lost = sum(stats.inbound.map((track) => track.packetsLost));
    const before = this.#totals.get(participant.id) ?? { packets: 0, lost: 0 };
    this.#totals.set(participant.id, { packets, lost });
    const packetsDelta = Math.max(0, packets - before.packets);
    const lostDelta = Math.max(0, lost - before.lost);
    const tracks = [...stats.inbound, ...stats.outbound];
    return {
      participantId: participant.id,
      roomId: participant.roomId,
      at,
      bitrateIn: sum(stats.inbound.map((track) => track.bitrate)),
      bitrateOut: sum(stats.outbound.map((track) => track.bitrate)),
      lossIn: packetsDelta + lostDelta > 0 ? lostDelta / (packetsDelta + lostDelta) : 0,
      rtt: Math.max(0, ...tracks.map((track) => track.rtt)),
      jitter: Math.max(0, ...tracks.map((track) => track.jitter ?? 0)),
    };
  }

  #tick(): void {
    const samples = this.sample();
    const now = Date.now();
    const prune =
      this.options.retentionMs > 0 &&
      now - this.#lastPrune >= Math.min(PRUNE_EVERY_MS, this.options.retentionMs / 2);
    if (prune) this.#lastPrune = now;
    // A slow or absent database delays samples: they wait in order, they are not lost.
    if (samples.length > 0) this.#writer.push(samples);
    if (prune) this.#writer.push({ deleteBefore: new Date(now - this.options.retentionMs) });
  }
}
