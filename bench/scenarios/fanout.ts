/** Scenario 2. Renegotiation fan-out. */
import type { Target } from '../lib/clients';
import { summarize, type Summary, until } from '../lib/measure';
import { type Log, RECEIVE_ONLY, errorCount, joinMany, leaveAll, runTag, settle } from './common';

export interface FanoutOptions {
  sizes: number[];
  repetitions: number;
}

export interface FanoutSizeResult {
  size: number;
  samples: number;
  offerMs: Summary;
  firstPacketMs: Summary;
  /** Join -> the newcomer's first video keyframe at each existing participant (decodable). */
  firstKeyframeMs: Summary;
  missingOffers: number;
  missingMedia: number;
  missingKeyframes: number;
  /** Server offers that could not be applied or answered. */
  errors: number;
  leaveErrors: number;
}

export async function fanoutScenario(
  target: Target,
  options: FanoutOptions,
  log: Log,
): Promise<FanoutSizeResult[]> {
  const results: FanoutSizeResult[] = [];
  const run = runTag();
  for (const size of options.sizes) {
    const roomId = `fanout-${run}-${size}`;
    // Existing participants only receive (see the report): the load generator shares the machine.
    const existing = await joinMany(target, roomId, size, RECEIVE_ONLY);
    await settle(existing);
    const offerMs: number[] = [];
    const firstPacketMs: number[] = [];
    const firstKeyframeMs: number[] = [];
    let missingOffers = 0;
    let missingMedia = 0;
    let missingKeyframes = 0;
    let leaveErrors = 0;
    for (let rep = 0; rep < options.repetitions; rep++) {
      const offersBefore = existing.map((p) => p.offersAt.length);
      const newcomer = await target.join(roomId, `newcomer${rep}`);
      const t0 = newcomer.joinSentAt;
      await until(
        () =>
          existing.every(
            (p, i) => p.offersAt.length > offersBefore[i] && p.probe.firstKeyframeAt(newcomer.streamId) > 0,
          ),
        15_000,
      );
      existing.forEach((p, i) => {
        const at = p.offersAt[offersBefore[i]];
        if (at === undefined) missingOffers++;
        else offerMs.push(at - t0);
        const first = p.probe.firstPacketAt(newcomer.streamId);
        if (first === 0) missingMedia++;
        else firstPacketMs.push(first - t0);
        const keyframe = p.probe.firstKeyframeAt(newcomer.streamId);
        if (keyframe === 0) missingKeyframes++;
        else firstKeyframeMs.push(keyframe - t0);
      });
      await settle([...existing, newcomer]);
      leaveErrors += await leaveAll([newcomer]);
      await settle(existing);
      log(`  ${target.kind} fanout ${size}: newcomer ${rep + 1}/${options.repetitions}`);
    }
    const errors = errorCount(existing);
    leaveErrors += await leaveAll(existing);
    results.push({
      size,
      samples: offerMs.length,
      offerMs: summarize(offerMs),
      firstPacketMs: summarize(firstPacketMs),
      firstKeyframeMs: summarize(firstKeyframeMs),
      missingOffers,
      missingMedia,
      missingKeyframes,
      errors,
      leaveErrors,
    });
  }
  return results;
}
