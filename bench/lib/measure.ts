import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (ms or whatever unit the samples are in); zeros when empty. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  const rank = (p: number): number =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    max: round(sorted.at(-1) ?? 0),
    mean: round(sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : 0),
  };
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime, stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size in MB, from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** Server CPU (fraction of one core) and this process's CPU over a window. */
export class CpuWindow {
  readonly #pid: number;
  readonly #startServer: number;
  readonly #startSelf = process.cpuUsage();
  readonly #startedAt = performance.now();
  constructor(pid: number) {
    this.#pid = pid;
    this.#startServer = cpuSeconds(pid);
  }
  end(): { seconds: number; serverCores: number; serverCpuSeconds: number; loadGeneratorCores: number } {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const serverCpuSeconds = cpuSeconds(this.#pid) - this.#startServer;
    const self = process.cpuUsage(this.#startSelf);
    return {
      seconds,
      serverCpuSeconds,
      serverCores: serverCpuSeconds / seconds,
      loadGeneratorCores: (self.user + self.system) / 1e6 / seconds,
    };
  }
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryMb: number;
  hostname: string;
}

export function machine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
    hostname: os.hostname(),
  };
}

export function gitInfo(cwd: string): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const status = execFileSync('git', ['status', '--porcelain'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return { commit, dirty: status.length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls every 10 ms until `predicate` holds; resolves false on timeout. */
export async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}
