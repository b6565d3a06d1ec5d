/**
 * The benchmark suite: every selected scenario against our server and the baseline, each in its
 * own process on 127.0.0.1, in the same run. Results as JSON and Markdown under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { targetFor } from './lib/clients';
import { gitInfo, machine, type MachineInfo, type Summary } from './lib/measure';
import { ensureBuilt, projectRoot, startServer, type TargetKind } from './lib/servers';
import { renderMarkdown } from './report';
import { type ClusterOptions, type ClusterResult, clusterScenario } from './cluster';
import {
  apiScenario,
  capacityScenario,
  fanoutScenario,
  firstFrameScenario,
  type FirstFrameMode,
  type FirstFrameOptions,
  type FirstFrameResult,
  joinScenario,
  type ApiOptions,
  type ApiResult,
  type CapacityOptions,
  type CapacityStepResult,
  type FanoutOptions,
  type FanoutSizeResult,
  type JoinOptions,
  type JoinResult,
  type Log,
} from './scenarios';

export const SCENARIOS = ['join', 'fanout', 'capacity', 'api', 'firstframe', 'cluster'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SuiteOptions {
  scenarios: ScenarioName[];
  join: JoinOptions;
  fanout: FanoutOptions;
  capacity: CapacityOptions;
  api: ApiOptions;
  firstframe: FirstFrameOptions;
  cluster: ClusterOptions;
  /**
   * Runs of each scenario on each server, alternating which server goes first (ours, baseline;
   * then baseline, ours; ...). Load that drifts during a run then weighs on both sides: the
   * figures reported are the medians over the passes, the ratio the median of the passes' ratios.
   */
  passes: number;
  /** Where to write results (default bench/results); null writes nothing. */
  outDir: string | null;
  /** Skip compiling our server when dist/src/main.js exists. */
  skipBuild: boolean;
  /** Run our server from this checkout (built there: dist/src/main.js) instead of this one. */
  oursRoot?: string;
  /** Write a V8 CPU profile of each server process here (DIR/ours, DIR/baseline). */
  cpuProfileDir?: string;
  command: string;
}

const MODE_LABEL: Record<FirstFrameMode, string> = {
  single: 'VP8',
  simulcast: 'simulcast',
  svc: 'VP9 SVC',
};

export const DEFAULT_OPTIONS: SuiteOptions = {
  scenarios: [...SCENARIOS],
  join: { joins: 200, concurrency: 20, roomSize: 4, warmup: 12 },
  fanout: { sizes: [10, 25, 50], repetitions: 3 },
  capacity: {
    steps: ['1x1', '1x10', '1x25', '1x50', '5x5', '8x8', '10x10', '12x12', '14x14', '17x17', '20x20'],
    windowSeconds: 5,
    maxLoss: 0.01,
  },
  api: { seconds: 3, clients: 4, rooms: 20, subscribers: 50, eventCycles: 400, idleRooms: 500 },
  firstframe: {
    roomSize: 4,
    rounds: 3,
    modes: ['single', 'simulcast', 'svc'],
    burstJoins: 20,
    receiveSections: true,
  },
  cluster: {
    joins: 30,
    databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  },
  passes: 1,
  outDir: null,
  skipBuild: false,
  command: 'npm run bench',
};

export interface Comparison {
  scenario: ScenarioName;
  metric: string;
  unit: string;
  /** Which direction is better for this metric. */
  better: 'lower' | 'higher';
  ours: number | null;
  baseline: number | null;
  /** ours / baseline; null when either is missing or the baseline is 0. With several passes: the median of theirs. */
  ratio: number | null;
  /** Each pass's ratio, in the order run (several passes only). */
  passRatios?: Array<number | null>;
}

/** A target's result, or null when its run failed (`errors` says why). */
export interface ScenarioRun<T> {
  ours: T | null;
  baseline: T | null;
  errors: Partial<Record<TargetKind, string>>;
}

export interface SuiteResult {
  version: 1;
  startedAt: string;
  durationSeconds: number;
  command: string;
  machine: MachineInfo;
  git: { commit: string; dirty: boolean };
  options: Omit<SuiteOptions, 'outDir' | 'skipBuild' | 'command' | 'oursRoot' | 'cpuProfileDir'>;
  comparisons: Comparison[];
  /** The first pass (every pass: `passes`). */
  scenarios: PassScenarios;
  /** Every pass's results, when more than one ran. */
  passes?: PassScenarios[];
  files?: { json: string; markdown: string };
}

export interface PassScenarios {
  join?: ScenarioRun<JoinResult>;
  fanout?: ScenarioRun<FanoutSizeResult[]>;
  capacity?: ScenarioRun<CapacityStepResult[]>;
  api?: ScenarioRun<ApiResult>;
  firstframe?: ScenarioRun<FirstFrameResult>;
  /** Ours only (two nodes): `baseline` stays null. */
  cluster?: ScenarioRun<ClusterResult>;
}

const KINDS: TargetKind[] = ['ours', 'baseline'];

let oursRoot: string | undefined;
let cpuProfileDir: string | undefined;

async function runOn<T>(
  kind: TargetKind,
  scenario: ScenarioName,
  log: Log,
  run: (target: ReturnType<typeof targetFor>) => Promise<T>,
): Promise<T> {
  const server = await startServer(kind, { oursRoot, cpuProfileDir });
  log(`${scenario}: ${kind} server pid ${server.pid} at ${server.url}`);
  const target = targetFor(server);
  try {
    return await run(target);
  } finally {
    await target.closeAll();
    await server.stop();
  }
}

async function both<T>(
  scenario: ScenarioName,
  log: Log,
  run: (target: ReturnType<typeof targetFor>) => Promise<T>,
  pass = 0,
): Promise<ScenarioRun<T>> {
  const results: ScenarioRun<T> = { ours: null, baseline: null, errors: {} };
  for (const kind of pass % 2 === 0 ? KINDS : [...KINDS].reverse()) {
    try {
      results[kind] = await runOn(kind, scenario, log, run);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.errors[kind] = message;
      log(`${scenario}: ${kind} FAILED: ${message}`);
    }
  }
  return results;
}

export async function runSuite(
  partial: Partial<SuiteOptions> = {},
  log: Log = () => undefined,
): Promise<SuiteResult> {
  const options: SuiteOptions = { ...DEFAULT_OPTIONS, ...partial };
  const started = performance.now();
  const startedAt = new Date().toISOString();
  oursRoot = options.oursRoot;
  cpuProfileDir = options.cpuProfileDir;
  log('building our server and the baseline');
  await ensureBuilt({ skipBuild: options.skipBuild });
  const result: SuiteResult = {
    version: 1,
    startedAt,
    durationSeconds: 0,
    command: options.command,
    machine: machine(),
    git: gitInfo(options.oursRoot ?? projectRoot()),
    options: {
      scenarios: options.scenarios,
      join: options.join,
      fanout: options.fanout,
      capacity: options.capacity,
      api: options.api,
      firstframe: options.firstframe,
      cluster: options.cluster,
      passes: options.passes,
    },
    comparisons: [],
    scenarios: {},
  };
  const passes: PassScenarios[] = Array.from({ length: Math.max(1, options.passes) }, () => ({}));
  for (const scenario of options.scenarios) {
    const scenarioStarted = performance.now();
    log(`scenario ${scenario}`);
    for (const [pass, scenarios] of passes.entries()) {
      if (passes.length > 1) log(`${scenario}: pass ${pass + 1} of ${passes.length}`);
      if (scenario === 'join')
        scenarios.join = await both(scenario, log, (t) => joinScenario(t, options.join, log), pass);
      if (scenario === 'fanout')
        scenarios.fanout = await both(scenario, log, (t) => fanoutScenario(t, options.fanout, log), pass);
      if (scenario === 'capacity')
        scenarios.capacity = await both(
          scenario,
          log,
          (t) => capacityScenario(t, options.capacity, log),
          pass,
        );
      if (scenario === 'api')
        scenarios.api = await both(scenario, log, (t) => apiScenario(t, options.api, log), pass);
      if (scenario === 'firstframe')
        scenarios.firstframe = await both(
          scenario,
          log,
          (t) => firstFrameScenario(t, options.firstframe, log),
          pass,
        );
    }
    result.scenarios = passes[0];
    if (scenario === 'cluster') {
      const run: ScenarioRun<ClusterResult> = { ours: null, baseline: null, errors: {} };
      try {
        run.ours = await clusterScenario(options.cluster, log);
      } catch (error) {
        run.errors.ours = error instanceof Error ? error.message : String(error);
        log(`cluster: FAILED: ${run.errors.ours}`);
      }
      result.scenarios.cluster = run;
    }
    log(`scenario ${scenario} done in ${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s`);
  }
  if (passes.length > 1) result.passes = passes;
  result.comparisons = mergePasses(passes.map((scenarios) => compare(result, scenarios)));
  result.durationSeconds = Math.round((performance.now() - started) / 100) / 10;
  if (options.outDir !== null) {
    const dir = options.outDir ?? path.join(projectRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = startedAt.replace(/[:.]/g, '-');
    const json = path.join(dir, `bench-${stamp}.json`);
    const markdown = path.join(dir, `bench-${stamp}.md`);
    result.files = { json, markdown };
    writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(markdown, renderMarkdown(result));
    writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(dir, 'latest.md'), renderMarkdown(result));
  }
  return result;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One row per metric: the passes' medians, and the median of their ratios. */
export function mergePasses(passes: Comparison[][]): Comparison[] {
  if (passes.length === 1) return passes[0];
  const present = <T>(values: Array<T | null>): T[] => values.filter((v): v is T => v !== null);
  const round = (value: number | null, digits: number): number | null =>
    value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
  const key = (row: Comparison): string => `${row.scenario}|${row.metric}`;
  const byKey = passes.map((pass) => new Map(pass.map((row) => [key(row), row])));
  return passes[0].map((row) => {
    const rows = byKey.map((pass) => pass.get(key(row))).filter((other) => other !== undefined);
    return {
      ...row,
      ours: round(median(present(rows.map((r) => r.ours))), 1),
      baseline: round(median(present(rows.map((r) => r.baseline))), 1),
      ratio: round(median(present(rows.map((r) => r.ratio))), 2),
      passRatios: rows.map((r) => r.ratio),
    };
  });
}

function compare(result: SuiteResult, scenarios: PassScenarios): Comparison[] {
  const rows: Comparison[] = [];
  const add = (
    scenario: ScenarioName,
    metric: string,
    unit: string,
    better: 'lower' | 'higher',
    ours: number | null | undefined,
    baseline: number | null | undefined,
  ): void => {
    const o = ours ?? null;
    const b = baseline ?? null;
    const ratio = o !== null && b !== null && b !== 0 ? Math.round((o / b) * 100) / 100 : null;
    rows.push({ scenario, metric, unit, better, ours: o, baseline: b, ratio });
  };
  const latency = (
    scenario: ScenarioName,
    name: string,
    ours: Summary | undefined,
    baseline: Summary | undefined,
    keys: Array<keyof Summary>,
  ): void => {
    // An empty sample (every attempt failed) is no figure.
    const value = (summary: Summary | undefined, key: keyof Summary): number | undefined =>
      summary && summary.count > 0 ? summary[key] : undefined;
    for (const key of keys)
      add(scenario, `${name} ${key}`, 'ms', 'lower', value(ours, key), value(baseline, key));
  };
  const { join, fanout, capacity, api, firstframe, cluster } = scenarios;
  if (cluster?.ours) {
    // The baseline column holds the holder's own answer: the ratio is what forwarding costs.
    const c = cluster.ours;
    latency(
      'cluster',
      'join -> answer through another node (vs through the holder)',
      c.forwardedJoinMs,
      c.ownerJoinMs,
      ['p50', 'p95', 'p99'],
    );
    add(
      'cluster',
      'SIGKILL of the holder -> a join through the survivor answered',
      'ms',
      'lower',
      c.deathToJoinMs,
      null,
    );
    add(
      'cluster',
      'SIGKILL of the holder -> media between rejoined participants',
      'ms',
      'lower',
      c.deathToMediaMs,
      null,
    );
    add('cluster', 'failed joins', 'count', 'lower', c.errors, null);
  }
  if (join) {
    for (const mode of ['sequential', 'concurrent'] as const) {
      const o = join.ours?.[mode];
      const b = join.baseline?.[mode];
      const label =
        mode === 'sequential' ? 'join, sequential' : `join, ${result.options.join.concurrency} at a time`;
      latency('join', `${label}: join -> answer`, o?.joinMs, b?.joinMs, ['p50', 'p95', 'p99']);
      latency('join', `${label}: join -> first packet from each other`, o?.firstMediaMs, b?.firstMediaMs, [
        'p50',
        'p95',
        'p99',
      ]);
      latency(
        'join',
        `${label}: join -> first video keyframe from each other`,
        o?.firstKeyframeMs,
        b?.firstKeyframeMs,
        ['p50', 'p95', 'p99'],
      );
      add('join', `${label}: failed joins`, 'count', 'lower', o?.errors, b?.errors);
      add('join', `${label}: failed or timed-out leaves`, 'count', 'lower', o?.leaveErrors, b?.leaveErrors);
    }
  }
  if (fanout) {
    for (const size of result.options.fanout.sizes) {
      const o = fanout.ours?.find((entry) => entry.size === size);
      const b = fanout.baseline?.find((entry) => entry.size === size);
      latency('fanout', `fan-out ${size}: join -> offer at every existing`, o?.offerMs, b?.offerMs, [
        'p50',
        'p95',
        'max',
      ]);
      latency(
        'fanout',
        `fan-out ${size}: join -> newcomer's first packet`,
        o?.firstPacketMs,
        b?.firstPacketMs,
        ['p50', 'p95', 'max'],
      );
      latency(
        'fanout',
        `fan-out ${size}: join -> newcomer's first video keyframe`,
        o?.firstKeyframeMs,
        b?.firstKeyframeMs,
        ['p50', 'p95', 'max'],
      );
    }
  }
  if (capacity) {
    const steps = [...(capacity.ours ?? []), ...(capacity.baseline ?? [])]
      .map((step) => step.step)
      .filter((step, index, all) => all.indexOf(step) === index);
    for (const step of steps) {
      const o = capacity.ours?.find((entry) => entry.step === step);
      const b = capacity.baseline?.find((entry) => entry.step === step);
      const streams = o?.forwardedStreams ?? b?.forwardedStreams;
      add(
        'capacity',
        `forwarding ${step} (${streams} streams): server CPU per stream, above idle`,
        'ms CPU/s',
        'lower',
        o?.serverCpuMsPerStreamSecond,
        b?.serverCpuMsPerStreamSecond,
      );
      add('capacity', `forwarding ${step}: loss`, '%', 'lower', o?.lossPercent, b?.lossPercent);
      add('capacity', `forwarding ${step}: received`, 'Mbit/s', 'higher', o?.mbitPerSecond, b?.mbitPerSecond);
      add(
        'capacity',
        `forwarding ${step}: RSS growth per participant`,
        'MB',
        'lower',
        o?.rssPerParticipantMb,
        b?.rssPerParticipantMb,
      );
    }
    const last = (steps: CapacityStepResult[] | null): CapacityStepResult | undefined =>
      steps ? ([...steps].reverse().find((step) => !step.stoppedBecause) ?? steps.at(-1)) : undefined;
    add(
      'capacity',
      'idle server RSS (before any participant)',
      'MB',
      'lower',
      capacity.ours?.[0]?.rssIdleMb,
      capacity.baseline?.[0]?.rssIdleMb,
    );
    add(
      'capacity',
      'idle server CPU',
      '% of a core',
      'lower',
      capacity.ours?.[0]?.serverIdleCpuPercent,
      capacity.baseline?.[0]?.serverIdleCpuPercent,
    );
    add(
      'capacity',
      'largest step within limits: forwarded streams',
      'streams',
      'higher',
      last(capacity.ours)?.forwardedStreams,
      last(capacity.baseline)?.forwardedStreams,
    );
  }
  if (api) {
    add(
      'api',
      'idle server RSS (3 s after start)',
      'MB',
      'lower',
      api.ours?.idleRssMb,
      api.baseline?.idleRssMb,
    );
    add(
      'api',
      `RSS growth per idle room (${result.options.api.idleRooms} empty rooms)`,
      'kB',
      'lower',
      api.ours?.rssPerIdleRoomKb,
      api.baseline?.rssPerIdleRoomKb,
    );
    add(
      'api',
      `rooms queries per second (${result.options.api.clients} keep-alive clients)`,
      'req/s',
      'higher',
      api.ours?.roomsQueriesPerSecond,
      api.baseline?.roomsQueriesPerSecond,
    );
    latency('api', 'rooms query', api.ours?.roomsQueryMs, api.baseline?.roomsQueryMs, ['p50', 'p99']);
    add(
      'api',
      `room events delivered per second (${result.options.api.subscribers} subscribers)`,
      'events/s',
      'higher',
      api.ours?.eventDeliveriesPerSecond,
      api.baseline?.eventDeliveriesPerSecond,
    );
    add(
      'api',
      'server CPU per 1000 room events delivered (all threads, first join to last delivery)',
      'ms',
      'lower',
      api.ours?.eventCpuMsPer1000,
      api.baseline?.eventCpuMsPer1000,
    );
  }
  if (firstframe) {
    for (const mode of result.options.firstframe.modes) {
      const o = firstframe.ours?.modes.find((entry) => entry.mode === mode);
      const b = firstframe.baseline?.modes.find((entry) => entry.mode === mode);
      const label = `Chromium ${MODE_LABEL[mode]}, rooms of ${result.options.firstframe.roomSize}`;
      const steps: Array<[string, keyof FirstFrameResult['modes'][number], Array<keyof Summary>]> = [
        ['join pressed -> joiner decodes each earlier participant', 'joinerFirstDecodedMs', ['p50', 'p95']],
        ['join pressed -> earlier participants decode the joiner', 'othersFirstDecodedMs', ['p50', 'p95']],
        ['join pressed -> camera ready', 'mediaMs', ['p50']],
        ['join pressed -> join sent', 'joinSentMs', ['p50']],
        ['join pressed -> join answered', 'answerMs', ['p50']],
        ['join pressed -> ICE connected', 'iceConnectedMs', ['p50']],
        ['join pressed -> ICE + DTLS connected', 'connectedMs', ['p50']],
        ['join pressed -> first server offer answered', 'firstOfferAnsweredMs', ['p50']],
        ['join pressed -> joiner gets first video RTP', 'joinerFirstRtpMs', ['p50']],
        ['joiner: first video RTP -> first decoded frame', 'joinerRtpToDecodedMs', ['p50', 'p95']],
      ];
      for (const [name, key, keys] of steps)
        latency('firstframe', `${label}: ${name}`, o?.[key] as Summary, b?.[key] as Summary, keys);
      add('firstframe', `${label}: streams never decoded`, 'count', 'lower', o?.missing, b?.missing);
      add(
        'firstframe',
        `${label}: joiners with a server offer before their last first frame`,
        'count',
        'lower',
        o?.offerBeforeDecoded,
        b?.offerBeforeDecoded,
      );
    }
    const o = firstframe.ours?.burst;
    const b = firstframe.baseline?.burst;
    const joins = result.options.firstframe.burstJoins;
    add(
      'firstframe',
      `${joins} joins: publisher keyframes encoded`,
      'count',
      'lower',
      o?.publisherKeyframes,
      b?.publisherKeyframes,
    );
    add(
      'firstframe',
      `${joins} joins: publisher PLIs received`,
      'count',
      'lower',
      o?.publisherPlis,
      b?.publisherPlis,
    );
    latency('firstframe', `${joins} joins: join -> first keyframe`, o?.firstKeyframeMs, b?.firstKeyframeMs, [
      'p50',
      'p95',
    ]);
  }
  return rows;
}
