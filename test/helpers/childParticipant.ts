import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from './process';

let bundle: string | undefined;

/** childParticipantMain.ts bundled once per test file (dependencies stay in node_modules). */
function bundled(): string {
  if (bundle && existsSync(bundle)) return bundle;
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'sfu-child-')), 'child.js');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [
      path.join(root, 'test', 'helpers', 'childParticipantMain.ts'),
      '--bundle',
      '--platform=node',
      '--target=node20',
      '--packages=external',
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    { cwd: root },
  );
  bundle = out;
  return out;
}

/** A participant (werift peer + graphql-ws client) running in a child process that a test can SIGSTOP. */
export class ChildParticipant {
  private constructor(
    readonly process: ChildProcess,
    readonly id: string,
    readonly streamId: string,
  ) {}

  static async join(url: string, roomId: string, name: string): Promise<ChildParticipant> {
    const child = spawn(process.execPath, [bundled(), url, roomId, name], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: path.join(root, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const joined = await new Promise<{ id: string; streamId: string }>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { id: string; streamId: string });
      });
      child.once('exit', (code) => reject(new Error(`child participant exited (${code}): ${err}`)));
    });
    return new ChildParticipant(child, joined.id, joined.streamId);
  }

  freeze(): void {
    this.process.kill('SIGSTOP');
  }

  thaw(): void {
    this.process.kill('SIGCONT');
  }

  /** Ends the process (thawed first, so it can exit). */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGCONT');
    this.process.kill('SIGKILL');
    await exited;
  }
}
