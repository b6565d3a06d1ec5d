/**
 * A short run of the benchmark suite (bench/): a few participants, seconds per scenario, against
 * both servers, each spawned in its own process. Checks the shape and sanity of the results, not
 * the performance.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSuite, type SuiteResult } from '../../bench/suite';

jest.setTimeout(240_000);

describe('bench smoke run', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'sfu-bench-smoke-'));
  let result: SuiteResult;

  beforeAll(async () => {
    result = await runSuite({
      scenarios: ['join', 'fanout', 'capacity', 'api'],
      join: { joins: 4, concurrency: 2, roomSize: 2, warmup: 2 },
      fanout: { sizes: [2], repetitions: 1 },
      capacity: { steps: ['1x2', '2x2'], windowSeconds: 1, maxLoss: 0.01 },
      api: { seconds: 1, clients: 2, rooms: 2, subscribers: 3, eventCycles: 2, idleRooms: 5 },
      outDir,
      command: 'bench smoke test',
    });
  });

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs every scenario on both servers without a failure', () => {
    for (const name of ['join', 'fanout', 'capacity', 'api'] as const) {
      const run = result.scenarios[name];
      expect(run?.errors).toEqual({});
      expect(run?.ours).not.toBeNull();
      expect(run?.baseline).not.toBeNull();
    }
  });

  it('describes the machine and the commit', () => {
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.machine.cpuModel).toEqual(expect.any(String));
    expect(result.machine.node).toBe(process.version);
    expect(result.git.commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
  });

  it('measures join latency and first media on both servers', () => {
    const join = result.scenarios.join;
    expect(join).toBeDefined();
    for (const kind of ['ours', 'baseline'] as const) {
      for (const mode of ['sequential', 'concurrent'] as const) {
        const run = join![kind]![mode];
        expect(run.errors).toBe(0);
        expect(run.joinMs.count).toBe(4);
        expect(run.joinMs.p50).toBeGreaterThan(0);
        expect(run.joinMs.p99).toBeGreaterThanOrEqual(run.joinMs.p50);
        expect(run.firstMediaMs.count).toBeGreaterThan(0);
        expect(run.firstMediaMs.p50).toBeGreaterThan(0);
        expect(run.missingMedia).toBe(0);
      }
    }
  });

  it('measures renegotiation fan-out on both servers', () => {
    for (const kind of ['ours', 'baseline'] as const) {
      const [size] = result.scenarios.fanout![kind]!;
      expect(size.size).toBe(2);
      expect(size.samples).toBe(2);
      expect(size.missingOffers).toBe(0);
      expect(size.missingMedia).toBe(0);
      expect(size.offerMs.p50).toBeGreaterThan(0);
      expect(size.firstPacketMs.p50).toBeGreaterThanOrEqual(size.offerMs.p50);
    }
  });

  it('measures forwarding with CPU and memory of the server process', () => {
    for (const kind of ['ours', 'baseline'] as const) {
      const steps = result.scenarios.capacity![kind]!;
      expect(steps.map((step) => step.forwardedStreams)).toEqual([2, 2].slice(0, steps.length));
      for (const step of steps) {
        expect(step.packetsPerSecond).toBeGreaterThan(0);
        expect(step.mbitPerSecond).toBeGreaterThan(0);
        expect(step.lossPercent).toBeGreaterThanOrEqual(0);
        expect(step.lossPercent).toBeLessThanOrEqual(100);
        expect(step.serverCpuPercent).toBeGreaterThanOrEqual(0);
        expect(step.rssMb).toBeGreaterThan(10);
      }
    }
  });

  it('measures API throughput on both servers', () => {
    for (const kind of ['ours', 'baseline'] as const) {
      const api = result.scenarios.api![kind]!;
      expect(api.roomsQueriesPerSecond).toBeGreaterThan(0);
      expect(api.roomsQueryMs.p50).toBeGreaterThan(0);
      expect(api.eventsDelivered).toBeGreaterThan(0);
      expect(api.eventDeliveriesPerSecond).toBeGreaterThan(0);
    }
  });

  it('pairs every figure as ours, baseline and ratio, and writes JSON and Markdown', () => {
    expect(result.comparisons.length).toBeGreaterThan(10);
    for (const row of result.comparisons) {
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining(['metric', 'ours', 'baseline', 'ratio', 'unit']),
      );
    }
    const latencies = result.comparisons.filter((row) => row.unit === 'ms' && row.metric.endsWith('p50'));
    expect(latencies.length).toBeGreaterThan(0);
    for (const row of latencies) {
      expect(row.ours).toBeGreaterThan(0);
      expect(row.baseline).toBeGreaterThan(0);
      expect(row.ratio).toBeGreaterThan(0);
    }
    expect(existsSync(result.files!.json)).toBe(true);
    const written = JSON.parse(readFileSync(result.files!.json, 'utf8')) as SuiteResult;
    expect(written.comparisons).toEqual(result.comparisons);
    const markdown = readFileSync(result.files!.markdown, 'utf8');
    expect(markdown).toContain('| metric | ratio ours/baseline | ours | baseline | unit |');
    expect(markdown).toContain(result.machine.cpuModel);
  });
});
