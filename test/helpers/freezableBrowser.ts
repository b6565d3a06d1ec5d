import { readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import { CHROMIUM_ARGS } from './browser';

/** The pids of `root` and all its descendants (from /proc), parents first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/**
 * A Chromium of its own whose whole process tree (browser, renderers, network service, GPU) a test
 * can SIGSTOP: no RTP, no STUN, no WebSocket pong, no FIN, as a frozen machine or a cable pulled.
 * Driven through a playwright browser server in this process, so the test keeps control of it.
 */
export class FreezableBrowser {
  #frozen: number[] = [];

  private constructor(
    readonly server: BrowserServer,
    readonly browser: Browser,
  ) {}

  /** Call after launchChromium() (which builds the page with its test hooks). */
  static async launch(): Promise<FreezableBrowser> {
    const server = await chromium.launchServer({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    return new FreezableBrowser(server, await chromium.connect(server.wsEndpoint()));
  }

  get pid(): number {
    return this.server.process().pid!;
  }

  freeze(): void {
    this.#frozen = processTree(this.pid);
    for (const pid of this.#frozen) signal(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.#frozen) signal(pid, 'SIGCONT');
    this.#frozen = [];
  }

  /** Kills the whole tree (a stopped process dies of SIGKILL too). */
  async kill(): Promise<void> {
    for (const pid of processTree(this.pid)) signal(pid, 'SIGKILL');
    this.#frozen = [];
    await this.server.kill().catch(() => undefined);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
