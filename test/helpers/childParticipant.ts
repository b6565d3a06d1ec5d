import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bundleMain } from './bundleMain';
import { root } from './process';

let bundle: string | undefined;

/** childParticipantMain.ts bundled once per test file. */
function bundled(): string {
  if (!bundle || !existsSync(bundle)) bundle = bundleMain('childParticipantMain.ts');
  return bundle;
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
