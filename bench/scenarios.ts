/**
 * The four scenarios. Each runs against one target (ours or the baseline, in its own process) and
 * returns plain numbers; the suite pairs them up.
 */
import { TestPeer } from '../test/helpers/weriftPeer';
import { type BenchParticipant, type Target, sentSequence } from './lib/clients';
import type { Browser } from 'playwright-core';
import { BenchPage, launchBenchChromium, type PageMarks } from './lib/browser';
import { CpuWindow, cpuSeconds, rssMb, sleep, summarize, type Summary, until } from './lib/measure';

export type Log = (line: string) => void;

const RECEIVE_ONLY = { publish: { audio: false, video: false } };

/** Waits until every participant has answered every offer it got and none came for `quietMs`. */
async function settle(participants: BenchParticipant[], timeoutMs = 15_000, quietMs = 300): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastOffers = -1;
  let quietSince = performance.now();
  while (performance.now() < deadline) {
    const offers = participants.reduce((sum, p) => sum + p.offersAt.length, 0);
    const answered = participants.reduce((sum, p) => sum + p.answered(), 0);
    if (offers !== lastOffers) {
      lastOffers = offers;
      quietSince = performance.now();
    } else if (answered >= offers && performance.now() - quietSince >= quietMs) {
      return;
    }
    await sleep(20);
  }
}

/** Leaves everyone; resolves with how many leaves failed (timed out or were refused). */
async function leaveAll(participants: BenchParticipant[]): Promise<number> {
  const outcomes = await Promise.allSettled(participants.map((p) => p.leave()));
  return outcomes.filter((outcome) => outcome.status === 'rejected').length;
}

async function joinMany(
  target: Target,
  roomId: string,
  count: number,
  options: ConstructorParameters<typeof TestPeer>[0],
  batch = 5,
): Promise<BenchParticipant[]> {
  const joined: BenchParticipant[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    joined.push(
      ...(await Promise.all(
        Array.from({ length: size }, (_, k) => target.join(roomId, `p${i + k}`, options)),
      )),
    );
  }
  return joined;
}

function errorCount(participants: BenchParticipant[]): number {
  return participants.reduce((sum, p) => sum + p.errors.length, 0);
}

// -----------------------------------------------------------------------------------------------
// 1. Join latency

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

/**
 * A tag that makes a scenario's room ids new to the database. On PostgreSQL the rooms of earlier
 * passes and runs are still there, left open by a server that was stopped: a join into one of them
 * loads it (three reads) where a join into a new room inserts it, and the baseline, holding
 * nothing, always creates. Every pass and run must therefore use ids never used before.
 */
function runTag(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
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

// -----------------------------------------------------------------------------------------------
// 2. Renegotiation fan-out

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

// -----------------------------------------------------------------------------------------------
// 3. Forwarding capacity

export interface CapacityOptions {
  /** Steps as `PxS`: P publishers; S = 'N' in `NxN` means everyone publishes and receives. */
  steps: string[];
  windowSeconds: number;
  maxLoss: number;
}

export interface CapacityStepResult {
  step: string;
  publishers: number;
  participants: number;
  forwardedStreams: number;
  lossPercent: number;
  mbitPerSecond: number;
  packetsPerSecond: number;
  serverCpuPercent: number;
  /** The server's CPU before any participant joined. */
  serverIdleCpuPercent: number;
  /** (server CPU in the window - idle CPU) per forwarded stream: ms of CPU per second. */
  serverCpuMsPerStreamSecond: number;
  loadGeneratorCpuPercent: number;
  rssMb: number;
  rssIdleMb: number;
  /** (RSS - RSS before this step's joins) / participants; null when it did not grow (GC). */
  rssPerParticipantMb: number | null;
  leaveErrors?: number;
  stoppedBecause?: string;
}

export async function capacityScenario(
  target: Target,
  options: CapacityOptions,
  log: Log,
): Promise<CapacityStepResult[]> {
  const results: CapacityStepResult[] = [];
  // The idle server's own CPU (timers, database, event loop), subtracted per stream below.
  const idleWindow = new CpuWindow(target.server.pid);
  await sleep(2000);
  const idleCores = idleWindow.end().serverCores;
  const idleRss = rssMb(target.server.pid);
  const run = runTag();
  for (const step of options.steps) {
    const match = /^(\d+)x(\d+)$/.exec(step);
    if (!match) throw new Error(`bad capacity step ${step} (want PxS, e.g. 1x10 or 4x4)`);
    const publishersCount = Number(match[1]);
    const second = Number(match[2]);
    const mesh = publishersCount === second && publishersCount > 1;
    const roomId = `capacity-${run}-${step}`;
    const rssBefore = rssMb(target.server.pid);
    const publishers = await joinMany(target, roomId, publishersCount, {}, 5);
    const subscribers = mesh ? [] : await joinMany(target, roomId, second, RECEIVE_ONLY, 5);
    const everyone = [...publishers, ...subscribers];
    const receiversOf = (publisher: BenchParticipant): BenchParticipant[] =>
      everyone.filter((p) => p !== publisher);
    const pairs = publishers.flatMap((pub) => receiversOf(pub).map((sub) => ({ pub, sub })));
    await settle(everyone);
    await until(() => pairs.every(({ pub, sub }) => sub.probe.received(pub.streamId).video > 2), 15_000);
    await sleep(1000);

    const before = pairs.map(({ pub, sub }) => sub.probe.received(pub.streamId));
    const sentBefore = publishers.map((p) => sentSequence(p.peer));
    const cpu = new CpuWindow(target.server.pid);
    await sleep(options.windowSeconds * 1000);
    const window = cpu.end();
    const sentAfter = publishers.map((p) => sentSequence(p.peer));
    const after = pairs.map(({ pub, sub }) => sub.probe.received(pub.streamId));
    const rss = rssMb(target.server.pid);

    const sentBy = new Map<BenchParticipant, number>();
    publishers.forEach((p, i) => {
      const audio = (sentAfter[i].audio - sentBefore[i].audio + 0x10000) & 0xffff;
      const video = (sentAfter[i].video - sentBefore[i].video + 0x10000) & 0xffff;
      sentBy.set(p, audio + video);
    });
    let expected = 0;
    let received = 0;
    let bytes = 0;
    pairs.forEach(({ pub }, i) => {
      expected += sentBy.get(pub) ?? 0;
      received += after[i].audio + after[i].video - before[i].audio - before[i].video;
      bytes += after[i].bytes - before[i].bytes;
    });
    const loss = expected > 0 ? Math.max(0, 1 - received / expected) : 1;
    const result: CapacityStepResult = {
      step,
      publishers: publishersCount,
      participants: everyone.length,
      forwardedStreams: pairs.length,
      lossPercent: round(loss * 100, 2),
      mbitPerSecond: round((bytes * 8) / window.seconds / 1e6, 3),
      packetsPerSecond: Math.round(received / window.seconds),
      serverCpuPercent: round(window.serverCores * 100, 1),
      serverIdleCpuPercent: round(idleCores * 100, 1),
      serverCpuMsPerStreamSecond: round(
        (Math.max(0, window.serverCores - idleCores) * 1000) / pairs.length,
        3,
      ),
      loadGeneratorCpuPercent: round(window.loadGeneratorCores * 100, 1),
      rssMb: round(rss, 1),
      rssIdleMb: round(idleRss, 1),
      rssPerParticipantMb: rss > rssBefore ? round((rss - rssBefore) / everyone.length, 2) : null,
    };
    if (loss > options.maxLoss)
      result.stoppedBecause = `loss ${result.lossPercent}% > ${options.maxLoss * 100}%`;
    else if (window.serverCores > 0.9)
      result.stoppedBecause = `server CPU ${result.serverCpuPercent}% of a core`;
    else if (window.loadGeneratorCores > 0.9)
      result.stoppedBecause = `load generator saturated (${result.loadGeneratorCpuPercent}% of a core)`;
    results.push(result);
    log(
      `  ${target.kind} capacity ${step}: ${pairs.length} streams, loss ${result.lossPercent}%, ` +
        `server CPU ${result.serverCpuPercent}%, generator CPU ${result.loadGeneratorCpuPercent}%`,
    );
    result.leaveErrors = await leaveAll(everyone);
    await sleep(300);
    if (result.stoppedBecause) break;
  }
  return results;
}

// -----------------------------------------------------------------------------------------------
// 4. API throughput

export interface ApiOptions {
  seconds: number;
  clients: number;
  rooms: number;
  subscribers: number;
  eventCycles: number;
  /** Rooms created with nobody in them, to see what an idle room costs in memory. */
  idleRooms: number;
}

export interface ApiResult {
  /** The server's RSS before this scenario's first request, 3 s after it started. */
  idleRssMb: number;
  /** (RSS after creating `idleRooms` empty rooms - idleRssMb) / idleRooms. */
  rssPerIdleRoomKb: number;
  roomsQueriesPerSecond: number;
  roomsQueryMs: Summary;
  eventDeliveriesPerSecond: number;
  eventsDelivered: number;
  /**
   * Server CPU (utime + stime, all threads) from the first join to the last delivery, per 1000
   * events delivered: what the rate costs, steadier than the rate when the load generator shares
   * the cores.
   */
  eventCpuMsPer1000: number;
  subscribers: number;
  /** Joins or leaves (generating the events) that failed. */
  generationErrors: number;
}

export async function apiScenario(target: Target, options: ApiOptions, log: Log): Promise<ApiResult> {
  const run = runTag();
  await sleep(3000);
  const idleRss = rssMb(target.server.pid);
  for (let i = 0; i < options.idleRooms; i += 10) {
    const batch = Array.from({ length: Math.min(10, options.idleRooms - i) }, (_, k) => i + k);
    await Promise.all(batch.map((n) => target.createRoom(`api-${run}-idle-${n}`)));
  }
  const perIdleRoomKb =
    options.idleRooms > 0 ? ((rssMb(target.server.pid) - idleRss) * 1024) / options.idleRooms : 0;
  log(
    `  ${target.kind} api: idle RSS ${idleRss.toFixed(1)} MB, ${perIdleRoomKb.toFixed(1)} kB per idle room`,
  );
  // Closed again: on PostgreSQL they would stay open for the next passes and runs.
  for (let i = 0; i < options.idleRooms; i += 10) {
    const batch = Array.from({ length: Math.min(10, options.idleRooms - i) }, (_, k) => i + k);
    await Promise.all(batch.map((n) => target.closeRoom(`api-${run}-idle-${n}`)));
  }
  for (let i = 0; i < options.rooms; i++) await target.createRoom(`api-${run}-room-${i}`);
  const latencies: number[] = [];
  const deadline = performance.now() + options.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await target.roomsQuery();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const queryRate = latencies.length / ((performance.now() - started) / 1000);
  log(`  ${target.kind} api: ${Math.round(queryRate)} rooms queries/s`);

  // Room events: many watchers, events generated by joins and leaves with a ready-made offer.
  const roomId = `api-${run}-events`;
  await target.createRoom(roomId);
  let delivered = 0;
  let lastDelivery = 0;
  const onEvent = (): void => {
    delivered++;
    lastDelivery = performance.now();
  };
  const stops: Array<() => Promise<void>> = [];
  for (let i = 0; i < options.subscribers; i += 10) {
    stops.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, options.subscribers - i) }, () =>
          target.watchRoom(roomId, onEvent),
        ),
      )),
    );
  }
  await sleep(300);
  // One offer per join, made beforehand (stream ids must differ within a room).
  const offers: string[] = [];
  for (let i = 0; i < options.eventCycles; i++) {
    const peer = new TestPeer();
    offers.push(await peer.createOffer());
    await peer.close();
  }
  const eventsStarted = performance.now();
  const cpuAtStart = cpuSeconds(target.server.pid);
  let cpuAtLastDelivery = cpuAtStart;
  const workers = 4;
  let generationErrors = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = w; i < options.eventCycles; i += workers) {
        await target.joinAndLeave(roomId, `e${i}`, offers[i]).catch(() => generationErrors++);
      }
    }),
  );
  // Deliveries trail the last event: wait until they stop.
  let seen = -1;
  while (seen !== delivered) {
    seen = delivered;
    // Read while deliveries still come (or just stopped), not after the quiet wait's idle time.
    cpuAtLastDelivery = cpuSeconds(target.server.pid);
    await sleep(500);
  }
  const eventSeconds = (lastDelivery - eventsStarted) / 1000;
  await Promise.all(stops.map((stop) => stop()));
  log(`  ${target.kind} api: ${delivered} room events delivered to ${options.subscribers} watchers`);
  return {
    idleRssMb: round(idleRss, 1),
    rssPerIdleRoomKb: round(perIdleRoomKb, 1),
    roomsQueriesPerSecond: Math.round(queryRate),
    roomsQueryMs: summarize(latencies),
    eventDeliveriesPerSecond: eventSeconds > 0 ? Math.round(delivered / eventSeconds) : 0,
    eventsDelivered: delivered,
    eventCpuMsPer1000: delivered > 0 ? round(((cpuAtLastDelivery - cpuAtStart) * 1e6) / delivered, 1) : 0,
    subscribers: options.subscribers,
    generationErrors,
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

// -----------------------------------------------------------------------------------------------
// 5. First frame in a real browser

export interface FirstFrameOptions {
  /** Participants per room; every one after the first is measured as a joiner. */
  roomSize: number;
  /** Rooms per mode (samples). */
  rounds: number;
  /**
   * Which publishing modes: single-encoding VP8, three-encoding simulcast (the page's default) and
   * VP9 SVC (L3T3_KEY, in a VP9 room).
   */
  modes: FirstFrameMode[];
  /**
   * Whether a joiner offers a receive-only audio + video pair per stream already in the room (the
   * SDK's join), so the join answer can carry them; false: its own tracks only (a server offer
   * brings the others).
   */
  receiveSections: boolean;
  /** Receive-only werift joiners in the keyframe-burst part (0: skip it). */
  burstJoins: number;
}

export type FirstFrameMode = 'single' | 'simulcast' | 'svc';

/** Times from the joiner pressing join (before getUserMedia), in ms. */
export interface FirstFrameModeResult {
  mode: FirstFrameMode;
  samples: number;
  /** The joiner's own steps: camera (and room query) ready, join sent, answered, ICE, ICE + DTLS. */
  mediaMs: Summary;
  joinSentMs: Summary;
  answerMs: Summary;
  iceConnectedMs: Summary;
  connectedMs: Summary;
  /** Its first server offer received and answered (joiners that got one before the timeout). */
  firstOfferReceivedMs: Summary;
  firstOfferAnsweredMs: Summary;
  /** Joiners that had a server offer before they decoded every earlier participant. */
  offerBeforeDecoded: number;
  /** The joiner receiving each earlier participant's video. */
  joinerFirstRtpMs: Summary;
  joinerFirstDecodedMs: Summary;
  /** Per-stream gap between the first RTP packet and the first decoded frame (the keyframe wait). */
  joinerRtpToDecodedMs: Summary;
  /** p50 of joinerFirstDecodedMs by joiner number (2 = second in the room). */
  joinerFirstDecodedByJoiner: Record<string, Summary>;
  /** Earlier participants receiving the joiner's video. */
  othersFirstRtpMs: Summary;
  othersFirstDecodedMs: Summary;
  /** Streams never decoded within the timeout. */
  missing: number;
  errors: string[];
}

export interface KeyframeBurstResult {
  joins: number;
  /** Keyframes the (Chromium) publisher encoded while the joins happened, and in a quiet window as long. */
  publisherKeyframes: number;
  publisherKeyframesQuiet: number;
  publisherPlis: number;
  seconds: number;
  /** Each joiner (werift): join sent -> first video keyframe of the publisher. */
  firstKeyframeMs: Summary;
  missingKeyframes: number;
}

export interface FirstFrameResult {
  modes: FirstFrameModeResult[];
  burst: KeyframeBurstResult | null;
}

const FIRST_FRAME_TIMEOUT_MS = 10_000;

export async function firstFrameScenario(
  target: Target,
  options: FirstFrameOptions,
  log: Log,
): Promise<FirstFrameResult> {
  const browser = await launchBenchChromium();
  try {
    const modes: FirstFrameModeResult[] = [];
    for (const mode of options.modes) {
      modes.push(await firstFrameMode(target, options, mode, browser, log));
    }
    const burst =
      options.burstJoins > 0 ? await keyframeBurst(target, options.burstJoins, browser, log) : null;
    return { modes, burst };
  } finally {
    await browser.close().catch(() => undefined);
  }
}

async function firstFrameMode(
  target: Target,
  options: FirstFrameOptions,
  mode: FirstFrameMode,
  browser: Browser,
  log: Log,
): Promise<FirstFrameModeResult> {
  const mediaMs: number[] = [];
  const joinSentMs: number[] = [];
  const answerMs: number[] = [];
  const iceMs: number[] = [];
  const connectedMs: number[] = [];
  const offerReceivedMs: number[] = [];
  const offerAnsweredMs: number[] = [];
  let offerBeforeDecoded = 0;
  const joinerRtp: number[] = [];
  const joinerDecoded: number[] = [];
  const gap: number[] = [];
  const byJoiner: Record<string, number[]> = {};
  const othersRtp: number[] = [];
  const othersDecoded: number[] = [];
  const errors: string[] = [];
  let missing = 0;
  const run = runTag();
  for (let round = 0; round < options.rounds; round++) {
    const roomId = `firstframe-${run}-${mode}-${round}`;
    const pages: Array<{ page: BenchPage; streamId: string }> = [];
    try {
      if (mode === 'svc' && target.kind === 'ours') await createVp9Room(target.server.url, roomId);
      for (let n = 0; n < options.roomSize; n++) {
        const page = await BenchPage.open(browser, target.kind, target.server.url);
        await page.join({
          kind: target.kind,
          url: target.server.url,
          roomId,
          name: `ff${n}`,
          layers: mode,
          // Ours is asked by the page; the baseline has no such query, so the driver says.
          receiveSections: !options.receiveSections ? 0 : target.kind === 'ours' ? 'room' : n,
        });
        const earlier = pages.map((entry) => entry.streamId);
        // Until the joiner decodes everyone earlier and everyone earlier decodes the joiner.
        const deadline = performance.now() + FIRST_FRAME_TIMEOUT_MS;
        let mine: PageMarks = await page.marks();
        let theirs: PageMarks[] = [];
        for (;;) {
          mine = await page.marks();
          theirs = await Promise.all(pages.map((entry) => entry.page.marks()));
          const done =
            mine.streamId !== '' &&
            earlier.every((id) => (mine.remote[id]?.firstDecodedAt ?? 0) > 0) &&
            theirs.every((marks) => (marks.remote[mine.streamId]?.firstDecodedAt ?? 0) > 0);
          if (done || performance.now() > deadline || mine.errors.length > 0) break;
          await sleep(50);
        }
        errors.push(...mine.errors.map((error) => `${roomId}/ff${n}: ${error}`));
        pages.push({ page, streamId: mine.streamId });
        if (n === 0) continue;
        const t0 = mine.pressedAt;
        if (mine.mediaAt) mediaMs.push(mine.mediaAt - t0);
        if (mine.joinSentAt) joinSentMs.push(mine.joinSentAt - t0);
        if (mine.answeredAt) answerMs.push(mine.answeredAt - t0);
        if (mine.iceConnectedAt) iceMs.push(mine.iceConnectedAt - t0);
        if (mine.connectedAt) connectedMs.push(mine.connectedAt - t0);
        const [offerAt] = mine.offersReceivedAt;
        const [offerAnsweredAt] = mine.offersAnsweredAt;
        if (offerAt) offerReceivedMs.push(offerAt - t0);
        if (offerAnsweredAt) offerAnsweredMs.push(offerAnsweredAt - t0);
        const lastDecoded = Math.max(...earlier.map((id) => mine.remote[id]?.firstDecodedAt ?? Infinity));
        if (offerAt && offerAt < lastDecoded) offerBeforeDecoded++;
        for (const id of earlier) {
          const remote = mine.remote[id];
          if (!remote?.firstDecodedAt) {
            missing++;
            continue;
          }
          joinerDecoded.push(remote.firstDecodedAt - t0);
          (byJoiner[String(n + 1)] ??= []).push(remote.firstDecodedAt - t0);
          if (remote.firstRtpAt) {
            joinerRtp.push(remote.firstRtpAt - t0);
            gap.push(remote.firstDecodedAt - remote.firstRtpAt);
          }
        }
        for (const marks of theirs) {
          const remote = marks.remote[mine.streamId];
          if (!remote?.firstDecodedAt) {
            missing++;
            continue;
          }
          othersDecoded.push(remote.firstDecodedAt - t0);
          if (remote.firstRtpAt) othersRtp.push(remote.firstRtpAt - t0);
        }
        if (process.env.BENCH_FF_TRACE) {
          const at = (value: number | undefined): string => (value ? String(Math.round(value - t0)) : '-');
          log(
            `    ${target.kind} ${roomId} joiner ${n + 1}: answered ${at(mine.answeredAt)}, connected ${at(mine.connectedAt)}; ` +
              `decodes ${earlier.map((id) => `${at(mine.remote[id]?.firstRtpAt)}/${at(mine.remote[id]?.firstDecodedAt)}`).join(' ')}; ` +
              `decoded by ${theirs.map((marks) => `${at(marks.remote[mine.streamId]?.firstRtpAt)}/${at(marks.remote[mine.streamId]?.firstDecodedAt)}`).join(' ')}`,
          );
        }
        // Joins a while apart, as people join: each measures a join, not medooze's PLI window.
        await sleep(800);
      }
    } finally {
      await Promise.all(pages.map((entry) => entry.page.leave()));
    }
    log(`  ${target.kind} firstframe ${mode}: room ${round + 1}/${options.rounds}`);
    await sleep(300);
  }
  return {
    mode,
    samples: joinerDecoded.length,
    mediaMs: summarize(mediaMs),
    joinSentMs: summarize(joinSentMs),
    answerMs: summarize(answerMs),
    iceConnectedMs: summarize(iceMs),
    connectedMs: summarize(connectedMs),
    firstOfferReceivedMs: summarize(offerReceivedMs),
    firstOfferAnsweredMs: summarize(offerAnsweredMs),
    offerBeforeDecoded,
    joinerFirstRtpMs: summarize(joinerRtp),
    joinerFirstDecodedMs: summarize(joinerDecoded),
    joinerRtpToDecodedMs: summarize(gap),
    joinerFirstDecodedByJoiner: Object.fromEntries(
      Object.entries(byJoiner).map(([joiner, samples]) => [joiner, summarize(samples)]),
    ),
    othersFirstRtpMs: summarize(othersRtp),
    othersFirstDecodedMs: summarize(othersDecoded),
    missing,
    errors: errors.slice(0, 20),
  };
}

/** Our rooms take the server's default codec (VP8) when a join creates them: a VP9 room is made first. */
async function createVp9Room(url: string, roomId: string): Promise<void> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($id: ID!) { createRoom(input: { id: $id, videoCodec: VP9 }) { id } }',
      variables: { id: roomId },
    }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  if (body.errors?.length) throw new Error(`createRoom ${roomId}: ${JSON.stringify(body.errors)}`);
}

/** One Chromium publisher; `joins` receive-only werift joiners, 5 at a time: how many keyframes? */
async function keyframeBurst(
  target: Target,
  joins: number,
  browser: Browser,
  log: Log,
): Promise<KeyframeBurstResult> {
  const roomId = 'firstframe-burst';
  const publisher = await BenchPage.open(browser, target.kind, target.server.url);
  const joiners: BenchParticipant[] = [];
  try {
    await publisher.join({
      kind: target.kind,
      url: target.server.url,
      roomId,
      name: 'publisher',
      layers: 'single',
      receiveSections: 0,
    });
    let marks = await publisher.marks();
    for (let waited = 0; !marks.iceConnectedAt && waited < 10_000; waited += 100) {
      await sleep(100);
      marks = await publisher.marks();
    }
    await sleep(1500);
    const quietStart = await publisher.marks();
    const started = performance.now();
    for (let i = 0; i < joins; i += 5) {
      joiners.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(5, joins - i) }, (_, k) =>
            target.join(roomId, `burst${i + k}`, RECEIVE_ONLY),
          ),
        )),
      );
    }
    const streamId = quietStart.streamId;
    await until(() => joiners.every((j) => j.probe.firstKeyframeAt(streamId) > 0), FIRST_FRAME_TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    // Keyframes still answering the last joins' requests arrive within a round trip or two.
    await sleep(300);
    const afterBurst = await publisher.marks();
    const firstKeyframeMs: number[] = [];
    let missingKeyframes = 0;
    for (const joiner of joiners) {
      const at = joiner.probe.firstKeyframeAt(streamId);
      if (at > 0) firstKeyframeMs.push(at - joiner.joinSentAt);
      else missingKeyframes++;
    }
    // The same time with nobody joining: what the encoder does by itself.
    const quietFrom = await publisher.marks();
    await sleep(seconds * 1000 + 300);
    const quietTo = await publisher.marks();
    log(
      `  ${target.kind} firstframe burst: ${joins} joins in ${seconds.toFixed(1)} s, ` +
        `${afterBurst.keyFramesEncoded - quietStart.keyFramesEncoded} publisher keyframes`,
    );
    return {
      joins,
      publisherKeyframes: afterBurst.keyFramesEncoded - quietStart.keyFramesEncoded,
      publisherKeyframesQuiet: quietTo.keyFramesEncoded - quietFrom.keyFramesEncoded,
      publisherPlis: afterBurst.pliCount - quietStart.pliCount,
      seconds: round(seconds, 2),
      firstKeyframeMs: summarize(firstKeyframeMs),
      missingKeyframes,
    };
  } finally {
    await leaveAll(joiners);
    await publisher.leave();
  }
}
