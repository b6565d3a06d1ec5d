/**
 * The four scenarios. Each runs against one target (ours or the baseline, in its own process) and
 * returns plain numbers; the suite pairs them up.
 */
import { TestPeer } from '../test/helpers/weriftPeer';
import { type BenchParticipant, type Target, sentSequence } from './lib/clients';
import { CpuWindow, rssMb, sleep, summarize, type Summary, until } from './lib/measure';

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
}

export interface JoinModeResult {
  joins: number;
  concurrency: number;
  joinMs: Summary;
  firstMediaMs: Summary;
  missingMedia: number;
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
  const sequential = await joinMode(target, options, 1, 'seq', log);
  const concurrent = await joinMode(target, options, options.concurrency, 'conc', log);
  return { sequential, concurrent };
}

async function joinMode(
  target: Target,
  options: JoinOptions,
  concurrency: number,
  label: string,
  log: Log,
): Promise<JoinModeResult> {
  const started = performance.now();
  const joinMs: number[] = [];
  const firstMediaMs: number[] = [];
  let missing = 0;
  let errors = 0;
  let negotiationErrors = 0;
  let leaveErrors = 0;
  let lastError = '';
  const leaving: Array<Promise<void>> = [];
  const rooms = new Map<string, BenchParticipant[]>();
  const flush = async (members: BenchParticipant[]): Promise<void> => {
    // First packet from every other member, counted from when both were in the room.
    await until(
      () => members.every((m) => members.every((o) => o === m || m.probe.firstPacketAt(o.streamId) > 0)),
      10_000,
    );
    for (const m of members) {
      for (const o of members) {
        if (o === m) continue;
        const first = m.probe.firstPacketAt(o.streamId);
        if (first === 0) missing++;
        else firstMediaMs.push(first - Math.max(m.joinSentAt, o.answerAt));
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
        const roomId = `join-${label}-${Math.floor(n / options.roomSize)}`;
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
    missingMedia: missing,
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
  missingOffers: number;
  missingMedia: number;
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
  for (const size of options.sizes) {
    const roomId = `fanout-${size}`;
    // Existing participants only receive (see the report): the load generator shares the machine.
    const existing = await joinMany(target, roomId, size, RECEIVE_ONLY);
    await settle(existing);
    const offerMs: number[] = [];
    const firstPacketMs: number[] = [];
    let missingOffers = 0;
    let missingMedia = 0;
    let leaveErrors = 0;
    for (let rep = 0; rep < options.repetitions; rep++) {
      const offersBefore = existing.map((p) => p.offersAt.length);
      const newcomer = await target.join(roomId, `newcomer${rep}`);
      const t0 = newcomer.joinSentAt;
      await until(
        () =>
          existing.every(
            (p, i) => p.offersAt.length > offersBefore[i] && p.probe.firstPacketAt(newcomer.streamId) > 0,
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
      missingOffers,
      missingMedia,
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
  for (const step of options.steps) {
    const match = /^(\d+)x(\d+)$/.exec(step);
    if (!match) throw new Error(`bad capacity step ${step} (want PxS, e.g. 1x10 or 4x4)`);
    const publishersCount = Number(match[1]);
    const second = Number(match[2]);
    const mesh = publishersCount === second && publishersCount > 1;
    const roomId = `capacity-${step}`;
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
}

export interface ApiResult {
  roomsQueriesPerSecond: number;
  roomsQueryMs: Summary;
  eventDeliveriesPerSecond: number;
  eventsDelivered: number;
  subscribers: number;
  /** Joins or leaves (generating the events) that failed. */
  generationErrors: number;
}

export async function apiScenario(target: Target, options: ApiOptions, log: Log): Promise<ApiResult> {
  for (let i = 0; i < options.rooms; i++) await target.createRoom(`api-room-${i}`);
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
  const roomId = 'api-events';
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
    await sleep(500);
  }
  const eventSeconds = (lastDelivery - eventsStarted) / 1000;
  await Promise.all(stops.map((stop) => stop()));
  log(`  ${target.kind} api: ${delivered} room events delivered to ${options.subscribers} watchers`);
  return {
    roomsQueriesPerSecond: Math.round(queryRate),
    roomsQueryMs: summarize(latencies),
    eventDeliveriesPerSecond: eventSeconds > 0 ? Math.round(delivered / eventSeconds) : 0,
    eventsDelivered: delivered,
    subscribers: options.subscribers,
    generationErrors,
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
