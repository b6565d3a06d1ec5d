import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from './process';

/**
 * A test helper's entry (`test/helpers/<name>.ts`) bundled with esbuild for a child process
 * (dependencies stay in node_modules): jest's transform does not run outside jest.
 * Returns the bundle's path, in a directory of its own under the system's temp directory.
 */
export function bundleMain(entry: string): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'sfu-child-')), `${path.basename(entry, '.ts')}.js`);
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [
      path.join(root, 'test', 'helpers', entry),
      '--bundle',
      '--platform=node',
      '--target=node20',
      '--packages=external',
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    { cwd: root },
  );
  return out;
}
