import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const root = path.join(__dirname, '..', '..');
const entry = path.join(root, 'dist', 'src', 'main.js');

/** Builds dist/ when the entry points the process tests run are missing. */
export function ensureBuilt(): void {
  if (!existsSync(entry) || !existsSync(path.join(root, 'dist', 'src', 'access', 'tokenCli.js')))
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
    });
}

/** The shipped entry point, as `npm start` runs it. */
export function startServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [entry], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the server's URL once it logs that it listens. */
export function listening(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /page (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`exited before listening: ${out}`)));
  });
}

/** Resolves when the process exits, with its exit code and what it wrote to stderr (call it right after spawning). */
export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
