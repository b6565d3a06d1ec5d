// Runs after `npm install` / `npm ci`, once every dependency (the medooze addon included) is built.
//  0. Say that the media addon was built, and how long it took: npm shows nothing while a
//     dependency's install script runs, so the minutes of compiling medooze look like a hang.
//  1. Apply our fixes to medooze's C++ (scripts/medooze-patches/) and rebuild the addon with them
//     (incrementally: the patched files and a relink, seconds; 20-40 s when the binding's SWIG
//     wrapper is patched); scripts/medooze-patches.mjs says how.
//  2. medooze-media-server ships its TypeScript typings in build/types, and the node-gyp build
//     that compiles its addon deletes build/ first. Put them back from the package tarball
//     (npm's cache, or the npm registry) so `tsc` checks our code against the real types.
//  3. Generate the Prisma client. Prisma's CLI is configured (prisma.config.ts, engine 'js') so
//     that it never downloads native engines.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MARKER, ensurePatchedAddon } from './medooze-patches.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const medooze = path.join(root, 'node_modules', 'medooze-media-server');

function restoreMedoozeTypings() {
  if (!existsSync(medooze)) return;
  if (existsSync(path.join(medooze, 'build', 'types', 'MediaServer.d.ts'))) return;
  const { version } = JSON.parse(readFileSync(path.join(medooze, 'package.json'), 'utf8'));
  const work = mkdtempSync(path.join(tmpdir(), 'medooze-types-'));
  try {
    execFileSync('npm', ['pack', `medooze-media-server@${version}`, '--silent', '--pack-destination', work], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    execFileSync('tar', [
      '-xzf',
      path.join(work, tarball),
      '-C',
      work,
      'package/build/types',
      'package/build/src',
    ]);
    cpSync(path.join(work, 'package', 'build', 'types'), path.join(medooze, 'build', 'types'), {
      recursive: true,
    });
    cpSync(path.join(work, 'package', 'build', 'src'), path.join(medooze, 'build', 'src'), {
      recursive: true,
    });
    console.log(`postinstall: restored medooze-media-server@${version} typings`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function reportMedoozeBuild() {
  const build = path.join(medooze, 'build');
  const addon = path.join(build, 'Release', 'medooze-media-server.node');
  if (!existsSync(addon)) {
    console.log('postinstall: medooze-media-server has no native addon (its install script did not run?)');
    return;
  }
  // node-gyp writes config.gypi when it configures, the addon when the build ends. An addon that
  // already has our patches (a later postinstall) was relinked since: its age says nothing.
  const configured = path.join(build, 'config.gypi');
  const seconds =
    existsSync(configured) && !existsSync(path.join(build, 'Release', MARKER))
      ? Math.round((statSync(addon).mtimeMs - statSync(configured).mtimeMs) / 1000)
      : 0;
  const took = seconds > 0 ? `, built from source in ${Math.floor(seconds / 60)} min ${seconds % 60} s` : '';
  console.log(`postinstall: medooze-media-server native addon ready${took}`);
}

function generatePrismaClient() {
  // PostgreSQL (node_modules/.prisma/client) and the embedded default, SQLite (node_modules/.prisma/sqlite-client).
  for (const schema of ['prisma/schema.prisma', 'prisma/sqlite/schema.prisma']) {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schema],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      },
    );
  }
  console.log('postinstall: generated the Prisma clients (PostgreSQL and SQLite)');
}

function patchMedooze() {
  try {
    ensurePatchedAddon(path.join(root, 'node_modules'));
  } catch (error) {
    // One sentence, not a stack: what does not fit, and where to look.
    console.error(`postinstall: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}

reportMedoozeBuild();
// Before the typings: a rebuild from source deletes build/, typings included.
patchMedooze();
restoreMedoozeTypings();
generatePrismaClient();
