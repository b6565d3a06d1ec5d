// Our fixes to medooze's C++ (and one to its JavaScript: scripts/medooze-patches/*.patch), applied at install by
// scripts/postinstall.mjs: to the source, then to the addon built from it (an incremental node-gyp
// build: the patched files and a relink). A patch's paths are relative to the package it names in a
// `Package: <name>` line of its description: medooze-media-server-src (the default: the media
// server's C++) or medooze-media-server (the binding: src/*.i and the SWIG wrapper generated from
// them, src/media-server_wrap.cxx, which is what is compiled: a patch changes both the same way).
//
// A marker next to the addon, build/Release/medooze-patches.sha256, holds the hash of the patch
// set it was built with: a second postinstall does nothing, and a cached addon (.ci/run keys its
// cache on the same hash) is recognised. Without the object files (an addon copied from a cache
// whose marker does not match) the addon is rebuilt from source, as `npm ci` builds it.
//
// The patches are unified diffs, applied here rather than by patch(1) or git (neither is needed
// to install): each hunk's old lines must be found exactly once, or its new lines (already
// applied), or the install stops and says which patch no longer fits. Line endings are the
// file's own (medooze's sources are CRLF).
//
//   node scripts/medooze-patches.mjs --hash         prints the patch set's hash (.ci/run)
//   node scripts/medooze-patches.mjs [node_modules] applies them there (default: ours)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PATCHES_DIR = path.join(here, 'medooze-patches');
export const MARKER = 'medooze-patches.sha256';
/** The packages a patch can target, in node_modules; the first is the default. */
export const PACKAGES = ['medooze-media-server-src', 'medooze-media-server'];

/** The package a patch targets: its description's `Package:` line (before the diff), else -src. */
export function patchPackage(text, name) {
  const description = text.replace(/\r\n/g, '\n').split(/^--- /m)[0];
  const named = /^Package:\s*(\S+)\s*$/m.exec(description)?.[1] ?? PACKAGES[0];
  if (!PACKAGES.includes(named))
    throw new Error(`${name} names the package ${named}: a patch targets ${PACKAGES.join(' or ')}`);
  return named;
}

/** The patch files (sorted by name), each with its package, and the hash of the set: names and contents. */
export function patchSet(dir = PATCHES_DIR) {
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.patch'))
        .sort()
    : [];
  const patches = names.map((name) => {
    const text = readFileSync(path.join(dir, name), 'utf8');
    return { name, text, package: patchPackage(text, name) };
  });
  const hash = createHash('sha256');
  for (const { name, text } of patches) hash.update(`${name}\0${text.replace(/\r\n/g, '\n')}\0`);
  return { patches, hash: hash.digest('hex') };
}

/** The files and hunks of a unified diff: per hunk, its old and new lines (without line ends). */
export function parsePatch(text, name) {
  const files = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('--- ') || !lines[i + 1]?.startsWith('+++ ')) continue;
    const target = lines[i + 1].slice(4).split('\t')[0].replace(/^b\//, '');
    const file = { path: target, hunks: [] };
    files.push(file);
    i += 2;
    while (i < lines.length && lines[i].startsWith('@@')) {
      const counts = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(lines[i]);
      if (!counts) throw new Error(`${name}: cannot read the hunk header "${lines[i]}"`);
      let oldLeft = Number(counts[1] ?? 1);
      let newLeft = Number(counts[2] ?? 1);
      const hunk = { old: [], new: [] };
      i++;
      while (oldLeft > 0 || newLeft > 0) {
        const line = lines[i++];
        if (line === undefined) throw new Error(`${name}: a hunk of ${target} ends early`);
        const body = line.slice(1);
        if (line.startsWith('\\')) continue; // "\ No newline at end of file"
        if (line.startsWith('-')) {
          hunk.old.push(body);
          oldLeft--;
        } else if (line.startsWith('+')) {
          hunk.new.push(body);
          newLeft--;
        } else {
          // Context (an empty line is an empty context line whose leading space was trimmed).
          hunk.old.push(body);
          hunk.new.push(body);
          oldLeft--;
          newLeft--;
        }
      }
      file.hunks.push(hunk);
    }
    i--;
  }
  if (files.length === 0) throw new Error(`${name}: no file in it (not a unified diff?)`);
  return files;
}

/** Where `block` occurs in `lines` (line ends ignored): every start index. */
function occurrences(lines, block) {
  const found = [];
  for (let start = 0; start + block.length <= lines.length; start++) {
    if (block.every((line, k) => lines[start + k].replace(/\r$/, '') === line)) found.push(start);
  }
  return found;
}

/**
 * Applies every patch of the set to its package in `nodeModules`, all or nothing. Returns the names
 * of the patches it changed files for (none when all were applied before; `dryRun`: would change,
 * writing nothing); throws an Error whose message says which patch does not fit which file.
 */
export function applyPatches(nodeModules, set = patchSet(), { dryRun = false } = {}) {
  const contents = new Map(); // path -> lines, as patched so far
  const changedBy = new Set();
  for (const { name, text, package: target } of set.patches) {
    const srcDir = path.join(nodeModules, target);
    for (const file of parsePatch(text, name)) {
      const full = path.join(srcDir, file.path);
      if (!contents.has(full)) {
        if (!existsSync(full)) throw new Error(`${name} patches ${file.path}, which is not in ${srcDir}`);
        contents.set(full, readFileSync(full, 'utf8').split('\n'));
      }
      let lines = contents.get(full);
      for (const hunk of file.hunks) {
        const old = occurrences(lines, hunk.old);
        if (old.length === 1) {
          const crlf = lines[old[0]]?.endsWith('\r');
          const added = hunk.new.map((line) => (crlf ? `${line}\r` : line));
          lines = [...lines.slice(0, old[0]), ...added, ...lines.slice(old[0] + hunk.old.length)];
          changedBy.add(name);
        } else if (occurrences(lines, hunk.new).length !== 1) {
          throw new Error(
            `${name} does not apply to ${file.path} (${old.length ? 'its text is there more than once' : 'the text it changes is not there'}): ` +
              `${target} changed; update or remove the patch in scripts/medooze-patches/`,
          );
        }
      }
      contents.set(full, lines);
    }
  }
  if (dryRun) return [...changedBy];
  for (const [full, lines] of contents) {
    const text = lines.join('\n');
    if (text !== readFileSync(full, 'utf8')) writeFileSync(full, text);
  }
  return [...changedBy];
}

/** The hash in an addon's marker, or '' without one. */
export function markerHash(medoozeDir) {
  const marker = path.join(medoozeDir, 'build', 'Release', MARKER);
  return existsSync(marker) ? (readFileSync(marker, 'utf8').split(/\s/)[0] ?? '') : '';
}

/** node-gyp as npm runs it for install scripts (npm sets npm_config_node_gyp), else npm's own. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      path.join(
        path.dirname(process.env.npm_execpath),
        '..',
        'node_modules',
        'node-gyp',
        'bin',
        'node-gyp.js',
      ),
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

function hasObjects(medoozeDir) {
  const objects = path.join(medoozeDir, 'build', 'Release', 'obj.target', 'medooze-media-server-src');
  return existsSync(path.join(medoozeDir, 'build', 'Makefile')) && existsSync(objects);
}

/**
 * Makes node_modules/medooze-media-server's addon one built with the patch set: patches the
 * sources (both packages), then (unless the marker says the addon already has them) rebuilds the addon, with
 * make's incremental build when the object files are there, from scratch when not, and writes
 * the marker. Returns what it did, for the install log.
 */
export function ensurePatchedAddon(nodeModules, log = console.log) {
  const medoozeDir = path.join(nodeModules, 'medooze-media-server');
  const srcDir = path.join(nodeModules, 'medooze-media-server-src');
  if (!existsSync(medoozeDir) || !existsSync(srcDir)) return 'no medooze';
  const set = patchSet();
  const changed = applyPatches(nodeModules, set);
  const names = set.patches.map((patch) => patch.name).join(', ') || 'none';
  if (changed.length) {
    const where = (name) => set.patches.find((patch) => patch.name === name)?.package;
    log(`postinstall: patched medooze: ${changed.map((name) => `${name} (${where(name)})`).join(', ')}`);
  }
  const release = path.join(medoozeDir, 'build', 'Release');
  const addon = path.join(release, 'medooze-media-server.node');
  // No addon (install scripts skipped): whatever builds it later builds the patched source.
  if (!existsSync(addon)) return 'no addon';
  if (markerHash(medoozeDir) === set.hash) return 'up to date';
  const gyp = nodeGyp();
  if (!gyp)
    throw new Error(
      'node-gyp was not found to rebuild the medooze addon with our patches: run `npm run postinstall`',
    );
  const incremental = hasObjects(medoozeDir);
  log(
    incremental
      ? 'postinstall: rebuilding the medooze addon with our patches (the patched files and a relink, up to a minute)...'
      : 'postinstall: the medooze addon has no object files and not our patches: rebuilding it from source (minutes)...',
  );
  const started = Date.now();
  try {
    execFileSync(
      process.execPath,
      [gyp, incremental ? 'build' : 'rebuild', '--jobs=max', '--loglevel=warn'],
      {
        cwd: medoozeDir,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  } catch {
    throw new Error(
      `node-gyp could not ${incremental ? 'rebuild' : 'build'} the medooze addon with our patches (its errors are above)`,
    );
  }
  if (!existsSync(addon)) throw new Error('node-gyp built no medooze addon');
  writeFileSync(path.join(release, MARKER), `${set.hash}\n# scripts/medooze-patches: ${names}\n`);
  log(
    `postinstall: medooze addon rebuilt with our patches in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return incremental ? 'rebuilt' : 'rebuilt from source';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--hash') {
    console.log(patchSet().hash);
  } else {
    const nodeModules = path.resolve(process.argv[2] ?? path.join(here, '..', 'node_modules'));
    try {
      console.log(ensurePatchedAddon(nodeModules));
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    }
  }
}
