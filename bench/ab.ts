/**
 * Before/after in one run: the firstframe scenario against our server and the baseline built from
 * two checkouts (this one = after, `--before DIR` = before, e.g. `git archive <commit>` unpacked
 * with node_modules linked), interleaved pass by pass so both see the same machine load.
 *
 *   npx esbuild bench/ab.ts --bundle --platform=node --target=node20 --packages=external \
 *     --outfile=dist/bench/ab.js && node dist/bench/ab.js --before /tmp/before [--passes 2]
 *     [--kinds ours,baseline] [--ff-room-size 4 --ff-rounds 2 --ff-modes single,simulcast,svc --ff-burst 20]
 *     [--ff-no-receive-sections]
 *
 * Writes bench/results/ab-<time>.json; prints p50/p95 per pass and pooled, and after/before ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { targetFor } from './lib/clients';
import { summarize, type Summary } from './lib/measure';
import { ensureBuilt, projectRoot, startServer, type TargetKind } from './lib/servers';
import { firstFrameScenario, type FirstFrameOptions, type FirstFrameResult } from './scenarios';

interface Run {
  pass: number;
  kind: TargetKind;
  version: 'before' | 'after';
  result: FirstFrameResult | null;
  error?: string;
}

function parse(argv: string[]): {
  before: string;
  passes: number;
  kinds: TargetKind[];
  options: FirstFrameOptions;
} {
  const options: FirstFrameOptions = {
    roomSize: 4,
    rounds: 2,
    modes: ['single', 'simulcast'],
    burstJoins: 20,
    receiveSections: true,
  };
  let before = '';
  let passes = 2;
  let kinds: TargetKind[] = ['ours', 'baseline'];
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => argv[++i] ?? '';
    switch (argv[i]) {
      case '--before':
        before = value();
        break;
      case '--passes':
        passes = Number(value());
        break;
      case '--kinds':
        kinds = value().split(',') as TargetKind[];
        break;
      case '--ff-room-size':
        options.roomSize = Number(value());
        break;
      case '--ff-rounds':
        options.rounds = Number(value());
        break;
      case '--ff-modes':
        options.modes = value().split(',') as FirstFrameOptions['modes'];
        break;
      case '--ff-no-receive-sections':
        options.receiveSections = false;
        break;
      case '--ff-burst':
        options.burstJoins = Number(value());
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!before) throw new Error('--before DIR is required');
  return { before, passes, kinds, options };
}

async function main(): Promise<void> {
  const { before, passes, kinds, options } = parse(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string): void =>
    void process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  await ensureBuilt({ skipBuild: true });
  await ensureBuilt({ skipBuild: true, root: before });
  const runs: Run[] = [];
  const dir = path.join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `ab-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
  // Written after every run, so a run that dies keeps what was measured.
  const write = (all: Run[]): string => {
    const table = report(all, options, kinds);
    writeFileSync(file, `${JSON.stringify({ before, options, runs: all, table }, null, 2)}\n`);
    return file;
  };
  for (let pass = 1; pass <= passes; pass++) {
    // Alternate which goes first, so neither always gets the fresher machine.
    const order: Array<'before' | 'after'> = pass % 2 ? ['before', 'after'] : ['after', 'before'];
    for (const kind of kinds) {
      for (const version of order) {
        const root = version === 'before' ? before : undefined;
        let server: Awaited<ReturnType<typeof startServer>>;
        try {
          server = await startServer(kind, { oursRoot: root, baselineRoot: root });
        } catch (error) {
          // A loaded machine can fail a start: recorded, and the run goes on.
          runs.push({ pass, kind, version, result: null, error: String(error).slice(0, 300) });
          log(`pass ${pass}: ${kind} ${version} did not start`);
          continue;
        }
        log(`pass ${pass}: ${kind} ${version} (pid ${server.pid})`);
        const target = targetFor(server);
        try {
          runs.push({ pass, kind, version, result: await firstFrameScenario(target, options, log) });
        } catch (error) {
          runs.push({ pass, kind, version, result: null, error: String(error) });
          log(`  failed: ${String(error)}`);
        } finally {
          await target.closeAll();
          await server.stop();
          write(runs);
        }
      }
    }
  }
  write(runs);
  process.stdout.write(`\n${report(runs, options, kinds).join('\n')}\nwrote ${file}\n`);
  process.exit(0);
}

/** Pools the raw samples of the same metric over passes: the p50/p95 of all, and per pass. */
function report(runs: Run[], options: FirstFrameOptions, kinds: TargetKind[]): string[] {
  const fmt = (summary: Summary | undefined): string =>
    summary && summary.count > 0 ? `${Math.round(summary.p50)} / ${Math.round(summary.p95)}` : 'n/a';
  const metrics = [
    ['joiner decodes each earlier participant', 'joinerFirstDecodedMs'],
    ['earlier participants decode the joiner', 'othersFirstDecodedMs'],
    ['camera ready', 'mediaMs'],
    ['join sent', 'joinSentMs'],
    ['join answered', 'answerMs'],
    ['ICE connected', 'iceConnectedMs'],
    ['ICE + DTLS connected', 'connectedMs'],
    ['first server offer answered', 'firstOfferAnsweredMs'],
    ['joiner: first video RTP', 'joinerFirstRtpMs'],
    ['joiner: first RTP -> first decoded frame', 'joinerRtpToDecodedMs'],
  ] as const;
  const lines = [
    '| target | mode | from pressing join (ms, p50 / p95 per pass) | before | after | after/before p50 |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const kind of kinds) {
    for (const mode of options.modes) {
      for (const [name, key] of metrics) {
        const per = (version: 'before' | 'after'): Summary[] =>
          runs
            .filter((run) => run.kind === kind && run.version === version)
            .map((run) => run.result?.modes.find((entry) => entry.mode === mode)?.[key])
            .filter((summary): summary is Summary => !!summary);
        const b = per('before');
        const a = per('after');
        const p50 = (list: Summary[]): number =>
          summarize(list.filter((s) => s.count > 0).map((s) => s.p50)).p50;
        const ratio = p50(b) > 0 ? (p50(a) / p50(b)).toFixed(2) : 'n/a';
        lines.push(
          `| ${kind} | ${mode} | ${name} | ${b.map(fmt).join(', ')} | ${a.map(fmt).join(', ')} | ${ratio} |`,
        );
      }
    }
    for (const version of ['before', 'after'] as const) {
      const bursts = runs
        .filter((run) => run.kind === kind && run.version === version && run.result?.burst)
        .map((run) => run.result!.burst!);
      lines.push(
        `| ${kind} | burst ${options.burstJoins} joins | ${version}: publisher keyframes (PLIs), join -> first keyframe p50/p95 | ${bursts
          .map((b) => `${b.publisherKeyframes} (${b.publisherPlis}), ${fmt(b.firstKeyframeMs)}`)
          .join('; ')} | | |`,
      );
    }
  }
  return lines;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
