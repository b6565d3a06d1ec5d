import type { Comparison, SuiteResult } from './suite';

const fmt = (value: number | null): string => (value === null ? 'n/a' : String(value));

/** "x1.23" with a word on whether ours is better, worse or level. */
export function ratioText(row: Comparison): string {
  if (row.ratio === null) return 'n/a';
  const level = Math.abs(row.ratio - 1) < 0.05;
  const oursBetter = row.better === 'lower' ? row.ratio < 1 : row.ratio > 1;
  const passes = row.passRatios
    ? ` [${row.passRatios.map((r) => (r === null ? 'n/a' : r.toFixed(2))).join(', ')}]`
    : '';
  return `${row.ratio.toFixed(2)}${level ? '' : oursBetter ? ' (ours better)' : ' (ours worse)'}${passes}`;
}

export function comparisonTable(rows: Comparison[]): string {
  const lines = [
    '| metric | ratio ours/baseline | ours | baseline | unit |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.metric} | ${ratioText(row)} | ${fmt(row.ours)} | ${fmt(row.baseline)} | ${row.unit} |`,
    );
  }
  return lines.join('\n');
}

export function renderMarkdown(result: SuiteResult): string {
  const { machine, git, options } = result;
  const capacity = result.scenarios.capacity;
  const capacityLines = capacity
    ? (['ours', 'baseline'] as const).flatMap((kind) => [
        '',
        `**${kind}**`,
        '',
        '| step | streams | loss % | Mbit/s | pkt/s | server CPU % (idle) | CPU ms/stream/s above idle | generator CPU % | RSS MB | RSS/participant MB | stopped |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...(capacity[kind] ?? []).map(
          (s) =>
            `| ${s.step} | ${s.forwardedStreams} | ${s.lossPercent} | ${s.mbitPerSecond} | ${s.packetsPerSecond} | ${s.serverCpuPercent} (${s.serverIdleCpuPercent}) | ${s.serverCpuMsPerStreamSecond} | ${s.loadGeneratorCpuPercent} | ${s.rssMb} | ${s.rssPerParticipantMb ?? 'n/a'} | ${s.stoppedBecause ?? ''} |`,
        ),
      ])
    : [];
  return [
    '# GraphQL SFU benchmark',
    '',
    `Ours (GraphQL over HTTP + graphql-ws, ${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'the embedded SQLite database'}) against the baseline (bench/baseline: WebSocket + JSON, no database, the same medooze media code), each in its own process on 127.0.0.1, load from werift peers in the benchmark process.`,
    '',
    `- command: \`${result.command}\``,
    `- started: ${result.startedAt}, took ${result.durationSeconds} s`,
    `- machine: ${machine.cores} cores, ${machine.cpuModel}, ${Math.round(machine.totalMemoryMb / 1024)} GB, Node ${machine.node}, ${machine.platform}`,
    `- git: ${git.commit}${git.dirty ? ' (with uncommitted changes)' : ''}`,
    `- sizes: join ${options.join.joins} joins (rooms of ${options.join.roomSize}, ${options.join.concurrency} at a time); fan-out rooms ${options.fanout.sizes.join(', ')} x ${options.fanout.repetitions} newcomers; forwarding steps ${options.capacity.steps.join(', ')} (${options.capacity.windowSeconds} s windows); API ${options.api.seconds} s, ${options.api.clients} clients, ${options.api.subscribers} event subscribers`,
    '',
    'Ratio = ours / baseline (below 1 is better for times, CPU and memory; above 1 for rates).',
    ...(result.passes
      ? [
          '',
          `${result.passes.length} passes per scenario, alternating which server ran first: ours and baseline are the medians of the passes, the ratio the median of the passes' ratios (each pass's ratio in brackets).`,
        ]
      : []),
    '',
    comparisonTable(result.comparisons),
    '',
    ...failures(result),
    '## Forwarding steps',
    ...capacityLines,
    '',
    '## Notes',
    '',
    '- Times are measured in the load generator (performance.now()): join = sending the join until the answer is read; first packet = until the first RTP packet of that publisher arrives (from when both were in the room).',
    '- In fan-out, existing participants receive only (they publish nothing) so the load generator, sharing the cores, stays out of the way; the newcomer publishes Opus + VP8.',
    '- Server CPU is utime + stime of the server process from /proc/<pid>/stat over the measuring window; loss compares packets received with the packets the publishers sent in the window.',
    "- A forwarding step that saturates the load generator (werift is pure TypeScript) stops the growth: the limit found is then the generator's, not the server's.",
    '',
  ].join('\n');
}

/** Runs that failed, said plainly above the details. */
function failures(result: SuiteResult): string[] {
  const lines: string[] = [];
  for (const [pass, scenarios] of (result.passes ?? [result.scenarios]).entries()) {
    for (const [scenario, run] of Object.entries(scenarios)) {
      for (const [kind, message] of Object.entries(run?.errors ?? {})) {
        const where = result.passes ? ` (pass ${pass + 1})` : '';
        lines.push(`- **${scenario} on ${kind} failed${where}**: ${String(message).split('\n')[0]}`);
      }
    }
  }
  return lines.length ? ['## Failed runs', '', ...lines, ''] : [];
}
