/**
 * What `npm ci` tells a newcomer (issue 18, item 13), checked against the installed tree: our
 * `engines` ask for at least what every run-time dependency declares (but the exceptions the README
 * names, which feature-detect what they miss), the Node running the tests is one of them, and
 * `allowScripts` decides for every dependency with an install script, so npm's notice lists nothing
 * unreviewed (and cannot read as if the media addon were blocked).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { root } from '../helpers/process';

jest.setTimeout(60_000);

const ours = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
/** Declare a newer Node than they need: the README says why each runs on ours. */
const EXCEPTIONS = ['@whatwg-node/promise-helpers'];

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

/** The packages `names` need (dependencies, recursively), found as Node finds them. */
function installed(names: string[]): Array<{ dir: string; pkg: Manifest }> {
  const seen = new Map<string, Manifest>();
  const visit = (from: string, names: string[]) => {
    for (const name of names) {
      let dir = from;
      let found: string | undefined;
      for (;;) {
        const candidate = path.join(dir, 'node_modules', name);
        if (existsSync(path.join(candidate, 'package.json'))) {
          found = realpathSync(candidate);
          break;
        }
        if (path.dirname(dir) === dir) break;
        dir = path.dirname(dir);
      }
      if (!found || seen.has(found)) continue; // an optional dependency for another platform
      const pkg = JSON.parse(readFileSync(path.join(found, 'package.json'), 'utf8')) as Manifest;
      seen.set(found, pkg);
      visit(found, Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
    }
  };
  visit(root, names);
  return [...seen].map(([dir, pkg]) => ({ dir, pkg }));
}

test('engines: at least what every run-time dependency declares, and the Node running the tests', () => {
  const floor = semver.minVersion(ours.engines.node)!;
  const packages = installed(Object.keys(ours.dependencies));
  expect(packages.length).toBeGreaterThan(100);
  const asking: string[] = [];
  for (const { pkg } of packages) {
    const wanted = pkg.engines?.node && semver.validRange(pkg.engines.node);
    if (!wanted || EXCEPTIONS.includes(pkg.name)) continue;
    // Our lowest version is not one of theirs: npm would warn on a Node we claim to support.
    if (!semver.satisfies(floor, wanted))
      asking.push(`${pkg.name}@${pkg.version} wants ${pkg.engines!.node}`);
  }
  expect(asking).toEqual([]);
  expect(semver.satisfies(process.version, ours.engines.node)).toBe(true);
  for (const name of EXCEPTIONS) expect(readme).toContain(name);
});

test('allowScripts decides for every installed dependency with an install script; the native builds are allowed', () => {
  // What npm counts (npm install-scripts ls): preinstall, install, postinstall, and a binding.gyp
  // without an install script (npm then runs node-gyp rebuild).
  const withScripts = installed([...Object.keys(ours.dependencies), ...Object.keys(ours.devDependencies)])
    .filter(
      ({ dir, pkg }) =>
        ['preinstall', 'install', 'postinstall'].some((script) => pkg.scripts?.[script]) ||
        existsSync(path.join(dir, 'binding.gyp')),
    )
    .map(({ pkg }) => pkg.name);
  expect(withScripts).toEqual(expect.arrayContaining(['medooze-media-server', 'better-sqlite3']));
  expect(withScripts.filter((name) => ours.allowScripts?.[name] === undefined)).toEqual([]);
  for (const name of ['medooze-media-server', 'netlink', 'better-sqlite3'])
    expect(ours.allowScripts?.[name]).toBe(true);
});
