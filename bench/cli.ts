/**
 * `npm run bench [-- options]`: runs the suite and writes bench/results/bench-<time>.{json,md}
 * (and latest.{json,md}).
 *
 *   --scenarios join,fanout,capacity,api   which scenarios (default all)
 *   --sizes 10,25                          fan-out room sizes
 *   --joins 60 --concurrency 20            join scenario: joins per mode, joins in flight
 *   --room-size 4                          join scenario: participants per room
 *   --idle-rooms 500                       api: empty rooms created to measure RSS per idle room
 *   --join-warmup 12                       join scenario: joins made and discarded first (both servers)
 *   --repetitions 2                        fan-out: newcomers per room
 *   --steps 1x1,1x10,4x4                   forwarding steps (PxS; NxN = everyone publishes)
 *   --window 5                             forwarding: measuring window, seconds
 *   --api-seconds 3 --api-clients 4 --subscribers 50 --event-cycles 20
 *   --ff-room-size 4 --ff-rounds 3        firstframe: Chromium participants per room, rooms per mode
 *   --ff-modes single,simulcast,svc --ff-burst 20   firstframe: publishing modes; joins in the keyframe burst
 *   --ff-no-receive-sections               firstframe: joiners offer their own tracks only (server offer flow)
 *   --cluster-joins 30                     cluster: joins through the holder and through the other node
 *                                          (PostgreSQL and Redis: BENCH_DATABASE_URL, BENCH_REDIS_URL)
 *   --passes 3                             runs per scenario and server, alternating which goes first;
 *                                          medians reported, ratio = median of the passes' ratios
 *   --out DIR                              results directory (default bench/results)
 *   --skip-build                           do not recompile our server when dist exists
 *   --ours-root DIR                        run our server from another checkout (built there)
 *   --cpu-prof DIR                         V8 CPU profile of each server (DIR/ours, DIR/baseline)
 */
import { DEFAULT_OPTIONS, runSuite, SCENARIOS, type ScenarioName, type SuiteOptions } from './suite';
import { comparisonTable } from './report';

function parse(argv: string[]): Partial<SuiteOptions> {
  const options: SuiteOptions = structuredClone(DEFAULT_OPTIONS);
  options.outDir = undefined as unknown as string; // default directory
  const numbers = (value: string): number[] => value.split(',').map((item) => Number(item.trim()));
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--scenarios': {
        const names = value()
          .split(',')
          .map((name) => name.trim());
        for (const name of names)
          if (!SCENARIOS.includes(name as ScenarioName))
            throw new Error(`unknown scenario ${name} (${SCENARIOS.join(', ')})`);
        options.scenarios = names as ScenarioName[];
        break;
      }
      case '--sizes':
        options.fanout.sizes = numbers(value());
        break;
      case '--repetitions':
        options.fanout.repetitions = Number(value());
        break;
      case '--joins':
        options.join.joins = Number(value());
        break;
      case '--join-warmup':
        options.join.warmup = Number(value());
        break;
      case '--concurrency':
        options.join.concurrency = Number(value());
        break;
      case '--room-size':
        options.join.roomSize = Number(value());
        break;
      case '--steps':
        options.capacity.steps = value().split(',');
        break;
      case '--window':
        options.capacity.windowSeconds = Number(value());
        break;
      case '--api-seconds':
        options.api.seconds = Number(value());
        break;
      case '--api-clients':
        options.api.clients = Number(value());
        break;
      case '--subscribers':
        options.api.subscribers = Number(value());
        break;
      case '--event-cycles':
        options.api.eventCycles = Number(value());
        break;
      case '--idle-rooms':
        options.api.idleRooms = Number(value());
        break;
      case '--cluster-joins':
        options.cluster.joins = Number(value());
        break;
      case '--ff-room-size':
        options.firstframe.roomSize = Number(value());
        break;
      case '--ff-rounds':
        options.firstframe.rounds = Number(value());
        break;
      case '--ff-modes':
        options.firstframe.modes = value()
          .split(',')
          .map((mode) => mode.trim()) as SuiteOptions['firstframe']['modes'];
        break;
      case '--ff-no-receive-sections':
        options.firstframe.receiveSections = false;
        break;
      case '--ff-burst':
        options.firstframe.burstJoins = Number(value());
        break;
      case '--passes':
        options.passes = Number(value());
        break;
      case '--out':
        options.outDir = value();
        break;
      case '--ours-root':
        options.oursRoot = value();
        break;
      case '--cpu-prof':
        options.cpuProfileDir = value();
        break;
      case '--skip-build':
        options.skipBuild = true;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  // `npm run bench` itself passes --skip-build (it has just compiled): not part of the user's command.
  const given = argv.filter((arg) => arg !== '--skip-build');
  options.command = ['npm run bench', ...(given.length ? ['--', ...given] : [])].join(' ');
  return options;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string): void => {
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  };
  const result = await runSuite(options, log);
  process.stdout.write(`\n${comparisonTable(result.comparisons)}\n\n`);
  process.stdout.write(
    `took ${result.durationSeconds} s; wrote ${result.files?.json} and ${result.files?.markdown}\n`,
  );
  // medooze-free here, but werift and sockets may hold handles: leave explicitly.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
