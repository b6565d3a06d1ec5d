/** Scenario 3. Forwarding capacity. */
import { type BenchParticipant, type Target, sentSequence } from '../lib/clients';
import { CpuWindow, rssMb, sleep, until } from '../lib/measure';
import { type Log, RECEIVE_ONLY, joinMany, leaveAll, round, runTag, settle } from './common';

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
