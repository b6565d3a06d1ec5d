/**
 * Our fixes to medooze's C++ (scripts/medooze-patches/, applied by the postinstall): the installed
 * addon is one built with them, and the applier is exact (CRLF sources, applied once, a source
 * that changed stops the install naming the patch, each patch to the package it names).
 * scripts/medooze-patches.mjs is an ES module,
 * run here in its own Node process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from '../helpers/process';

const MODULE = path.join(root, 'scripts', 'medooze-patches.mjs');

/** Runs `body` (an async function body with the module as `patches`) and returns what it returns. */
function run<T>(body: string): T {
  const code = `import * as patches from ${JSON.stringify(MODULE)};
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(result ?? null));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }),
  ) as T;
}

test('the installed medooze addon was built with every patch, and its source has them', () => {
  const nodeModules = path.join(root, 'node_modules');
  const result = run<{ hash: string; marker: string; changed: string[]; packages: string[] }>(`
    const set = patches.patchSet();
    return {
      hash: set.hash,
      marker: patches.markerHash(${JSON.stringify(path.join(nodeModules, 'medooze-media-server'))}),
      changed: patches.applyPatches(${JSON.stringify(nodeModules)}, set, { dryRun: true }),
      packages: set.patches.map((patch) => patch.package),
    };`);
  // A mismatch: the addon predates a patch (npm ci --ignore-scripts?): `npm run postinstall`.
  expect(result.marker).toBe(result.hash);
  expect(result.changed).toEqual([]);
  // The deadlock fix is in the binding's SWIG wrapper, the VP9 one in the C++ sources.
  expect(new Set(result.packages)).toEqual(new Set(['medooze-media-server', 'medooze-media-server-src']));
});

describe('the patch applier', () => {
  let dir: string;
  // A node_modules with the two packages a patch can target.
  const nodeModules = () => path.join(dir, 'node_modules');
  let src = '';
  let binding = '';
  const source = ['int f()', '{', '\t//old', '\treturn 1;', '}', ''].join('\r\n');
  const patch = [
    'A description, ignored.',
    '',
    '--- a/src/f.cpp',
    '+++ b/src/f.cpp',
    '@@ -2,3 +2,4 @@',
    ' {',
    '-\t//old',
    '+\t//new',
    '+\t//and more',
    ' \treturn 1;',
    '',
  ].join('\n');
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'medooze-patches-'));
    src = path.join(nodeModules(), 'medooze-media-server-src');
    binding = path.join(nodeModules(), 'medooze-media-server');
    mkdirSync(path.join(dir, 'patches'));
    mkdirSync(path.join(src, 'src'), { recursive: true });
    mkdirSync(path.join(binding, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'patches', 'one.patch'), patch);
    writeFileSync(path.join(src, 'src', 'f.cpp'), source);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const apply = () =>
    run<string[] | { error: string }>(`
      try {
        return patches.applyPatches(${JSON.stringify(nodeModules())}, patches.patchSet(${JSON.stringify(path.join(dir, 'patches'))}));
      } catch (error) {
        return { error: error.message };
      }`);

  test('applies a hunk once, keeping the CRLF line ends', () => {
    expect(apply()).toEqual(['one.patch']);
    expect(readFileSync(path.join(src, 'src', 'f.cpp'), 'utf8')).toBe(
      ['int f()', '{', '\t//new', '\t//and more', '\treturn 1;', '}', ''].join('\r\n'),
    );
    expect(apply()).toEqual([]);
  });

  test('stops with the patch and the file named when the source changed, writing nothing', () => {
    const changed = source.replace('return 1', 'return 2');
    writeFileSync(path.join(src, 'src', 'f.cpp'), changed);
    expect(apply()).toEqual({
      error: expect.stringMatching(/^one\.patch does not apply to src\/f\.cpp .*scripts\/medooze-patches\//),
    });
    expect(readFileSync(path.join(src, 'src', 'f.cpp'), 'utf8')).toBe(changed);
  });

  test('applies a patch whose description names medooze-media-server to that package', () => {
    const wrapper = ['void g()', '{', '\tlock();', '\twait();', '}', ''].join('\n');
    writeFileSync(path.join(binding, 'src', 'g.cxx'), wrapper);
    writeFileSync(
      path.join(dir, 'patches', 'two.patch'),
      [
        'The binding.',
        '',
        'Package: medooze-media-server',
        '',
        '--- a/src/g.cxx',
        '+++ b/src/g.cxx',
        '@@ -2,4 +2,4 @@',
        ' {',
        '-\tlock();',
        ' \twait();',
        '+\tlock();',
        ' }',
        '',
      ].join('\n'),
    );
    expect(apply()).toEqual(['one.patch', 'two.patch']);
    expect(readFileSync(path.join(binding, 'src', 'g.cxx'), 'utf8')).toBe(
      ['void g()', '{', '\twait();', '\tlock();', '}', ''].join('\n'),
    );
    expect(apply()).toEqual([]);
  });

  test('refuses a patch naming another package', () => {
    writeFileSync(path.join(dir, 'patches', 'one.patch'), `Package: left-pad\n\n${patch}`);
    expect(apply()).toEqual({ error: expect.stringMatching(/^one\.patch names the package left-pad/) });
  });
});
