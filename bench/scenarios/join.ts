/** Scenario 1. Join latency. */
import type { BenchParticipant, Target } from '../lib/clients';
import { summarize, type Summary, until } from '../lib/measure';
import { type Log, errorCount, joinMany, leaveAll, runTag } from './common';

export interface JoinOptions {
  joins: number;
  concurrency: number;
  roomSize: number;
  /**
   * Joins (and leaves) made and thrown away before measuring, on both servers: what a running
   * server has long done (V8 compiled the hot paths, graphql-jit its documents). Without them, the
   * sequential mode, which comes first, measured start-up: 7.3 ms p50 against 4.9 ms for the same
   * joins one at a time right after it.
   */
  warmup: number;
}

export interface JoinModeResult {
  joins: number;
  concurrency: number;
  joinMs: Summary;
  firstMediaMs: Summary;
  /** Until the first video keyframe from each other member: when its video can first be decoded. */
  firstKeyframeMs: Summary;
  missingMedia: number;
  missingKeyframes: number;
  /** Joins that failed. */
  errors: number;
  /** Server offers that could not be applied or answered. */
  negotiationErrors: number;
  /** Leaves that failed or timed out. */
  leaveErrors: number;
  seconds: number;
}

export interface JoinResult {
  sequential: JoinModeResult;
  concurrent: JoinModeResult;
}

export async function joinScenario(target: Target, options: JoinOptions, log: Log): Promise<JoinResult> {
  const run = runTag();
  for (let i = 0; i < options.warmup; i += options.roomSize) {
    const count = Math.min(options.roomSize, options.warmup - i);
    const members = await joinMany(target, `join-${run}-warmup-${i}`, count, {}, 1);
    await leaveAll(members);
  }
  const sequential = await joinMode(target, options, 1, 'seq', run, log);
  const concurrent = await joinMode(target, options, options.concurrency, 'conc', run, log);
  return { sequential, concurrent };
}

async function joinMode(
  target: Target,
  options: JoinOptions,
  concurrency: number,
  label: string,
  run: string,
  log: Log,
): Promise<JoinModeResult> {
  const started = performance.now();
  const joinMs: number[] = [];
  const firstMediaMs: number[] = [];
  const firstKeyframeMs: number[] = [];
  let missing = 0;
  let missingKeyframes = 0;
  let errors = 0;
  let negotiationErrors = 0;
  let leaveErrors = 0;
  let lastError = '';
  const leaving: Array<Promise<void>> = [];
  const rooms = new Map<string, BenchParticipant[]>();
  const flush = async (members: BenchParticipant[]): Promise<void> => {
    // First packet from every other member, counted from when both were in the room.
    await until(
      () => members.every((m) => members.every((o) => o === m || m.probe.firstKeyframeAt(o.streamId) > 0)),
      10_000,
    );
    for (const m of members) {
      for (const o of members) {
        if (o === m) continue;
        const since = Math.max(m.joinSentAt, o.answerAt);
        const first = m.probe.firstPacketAt(o.streamId);
        if (first === 0) missing++;
        else firstMediaMs.push(first - since);
        const keyframe = m.probe.firstKeyframeAt(o.streamId);
        if (keyframe === 0) missingKeyframes++;
        else firstKeyframeMs.push(keyframe - since);
      }
    }
    negotiationErrors += errorCount(members);
    // Leaves run in the background (a slow leave must not hold the next joins); counted at the end.
    leaving.push(leaveAll(members).then((failed) => void (leaveErrors += failed)));
  };
  for (let i = 0; i < options.joins; i += concurrency) {
    const wave = Array.from({ length: Math.min(concurrency, options.joins - i) }, (_, k) => i + k);
    const joined = await Promise.all(
      wave.map(async (n) => {
        const roomId = `join-${run}-${label}-${Math.floor(n / options.roomSize)}`;
        try {
          const p = await target.join(roomId, `j${n}`);
          joinMs.push(p.answerAt - p.joinSentAt);
          return { roomId, p };
        } catch (error) {
          errors++;
          lastError = error instanceof Error ? error.message : String(error);
          return undefined;
        }
      }),
    );
    for (const entry of joined) {
      if (!entry) continue;
      const members = rooms.get(entry.roomId) ?? [];
      members.push(entry.p);
      rooms.set(entry.roomId, members);
    }
    const full = [...rooms].filter(([, members]) => members.length >= options.roomSize);
    for (const [roomId] of full) rooms.delete(roomId);
    await Promise.all(full.map(([, members]) => flush(members)));
    log(`  ${target.kind} join ${label}: ${Math.min(i + concurrency, options.joins)}/${options.joins}`);
    // A server that fails joins repeatedly is broken, not slow: stop instead of timing out 60 times.
    if (errors >= Math.max(5, options.joins / 10)) {
      throw new Error(`${errors} joins failed (${label}); last: ${lastError.slice(0, 300)}`);
    }
  }
  await Promise.all([...rooms.values()].map((members) => flush(members)));
  await Promise.all(leaving);
  return {
    joins: options.joins,
    concurrency,
    joinMs: summarize(joinMs),
    firstMediaMs: summarize(firstMediaMs),
    firstKeyframeMs: summarize(firstKeyframeMs),
    missingMedia: missing,
    missingKeyframes,
    errors,
    negotiationErrors,
    leaveErrors,
    seconds: (performance.now() - started) / 1000,
  };
}
