#!/usr/bin/env node
/**
 * Builds the browser clients with esbuild (run by `npm run build` after tsc).
 *
 *   node scripts/build-client.mjs           # rebuild only bundles whose inputs changed
 *   node scripts/build-client.mjs --force   # always rebuild
 *   node scripts/build-client.mjs --test-hooks  # the page with `window.sfu` (the browser tests' build)
 *
 * Outputs and the URLs the HTTP server must serve them at (all asset URLs are absolute, and
 * nothing is loaded from outside our own origin):
 *
 *   dist/client/app/       -> served at `/` (express.static)
 *     index.html             GET /
 *     main.js, main.css      GET /main.js, GET /main.css
 *     assets/*               GET /assets/* (only if the app ever imports fonts/images)
 *
 *   dist/client/explorer/  -> served at `/explorer` (express.static)
 *     index.html             returned for GET /graphql when the browser asks for HTML (Accept: text/html)
 *     main.js, main.css      GET /explorer/main.js, GET /explorer/main.css
 *     assets/*               GET /explorer/assets/* (fonts/images not inlined; GraphiQL's CSS inlines its fonts)
 *
 * A bundle is skipped when all its outputs are newer than every file under client/, this script and
 * package-lock.json (cheap mtime check), so a second `npm start` does not rebuild.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
/** Test builds bundle the page's test hooks (`window.sfu`, client/app/testHooks.ts); others leave them out. */
const pageVariant = process.argv.includes('--test-hooks') ? 'test' : 'production';

/** name: folder under client/ and dist/client/; entry: source file; publicPath: URL prefix the folder is served at. */
const bundles = [
  { name: 'explorer', entry: 'main.tsx', publicPath: '/explorer' },
  { name: 'app', entry: 'main.ts', publicPath: '/' },
];

/** Newest mtime (ms) of any file under dir, recursively; 0 if it does not exist. */
async function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(p));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

/** Oldest mtime (ms) of the given files, or -1 if any is missing. */
async function oldestMtime(files) {
  let oldest = Infinity;
  for (const file of files) {
    try {
      oldest = Math.min(oldest, (await stat(file)).mtimeMs);
    } catch {
      return -1;
    }
  }
  return oldest;
}

async function fileMtime(file) {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

function kB(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

async function buildBundle({ name, entry, publicPath }, newestInput) {
  const srcDir = path.join(root, 'client', name);
  const outDir = path.join(root, 'dist', 'client', name);
  const outputs = ['index.html', 'main.js', 'main.css'].map((f) => path.join(outDir, f));
  const rel = path.relative(root, outDir);

  // Only the page has test hooks; the explorer is the same in both.
  const variant = name === 'app' ? pageVariant : 'production';
  const variantFile = path.join(outDir, '.variant');
  const builtVariant = await readFile(variantFile, 'utf8').catch(() => null);
  if (!force && builtVariant === variant && (await oldestMtime(outputs)) > newestInput) {
    console.log(`client: ${name} up to date (${rel})`);
    return;
  }

  const started = Date.now();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: path.join(srcDir, entry) },
    outdir: outDir,
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', __TEST_HOOKS__: String(variant === 'test') },
    legalComments: 'none',
    publicPath,
    assetNames: 'assets/[name]-[hash]',
    loader: {
      '.woff': 'file',
      '.woff2': 'file',
      '.ttf': 'file',
      '.eot': 'file',
      '.otf': 'file',
      '.png': 'file',
      '.jpg': 'file',
      '.gif': 'file',
      '.webp': 'file',
      '.svg': 'dataurl',
    },
    metafile: true,
    logLevel: 'warning',
  });
  await copyFile(path.join(srcDir, 'index.html'), path.join(outDir, 'index.html'));
  await writeFile(variantFile, variant);

  const sizes = Object.entries(result.metafile.outputs)
    .map(([file, { bytes }]) => `${path.basename(file)} ${kB(bytes)}`)
    .join(', ');
  const tag = variant === 'test' ? ' [test hooks]' : '';
  console.log(`client: ${name} -> ${rel} (${sizes})${tag} in ${Date.now() - started} ms`);
}

async function main() {
  const newestInput = Math.max(
    await newestMtime(path.join(root, 'client')),
    await fileMtime(fileURLToPath(import.meta.url)),
    await fileMtime(path.join(root, 'package-lock.json')),
  );
  for (const bundle of bundles) await buildBundle(bundle, newestInput);
}

main().catch((err) => {
  // esbuild has already printed its diagnostics for build failures.
  if (!err?.errors) console.error(err);
  console.error('client: build failed');
  process.exit(1);
});
