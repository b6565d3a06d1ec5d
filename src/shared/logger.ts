import pino from 'pino';

/**
 * The process-wide logger. Its level is set from the validated config at start
 * (`configureLogger`); before that, and in tests, it follows LOG_LEVEL or stays quiet.
 */
const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const fromEnv = process.env.LOG_LEVEL;

/**
 * An unknown LOG_LEVEL is the config's to report (one sentence), not pino's to throw on at import.
 * Lines are written to stdout asynchronously (pino flushes what is left when the process exits):
 * pino's default, a synchronous write per line, blocked the thread that answers joins for each
 * join's and leave's line, 0.1-0.3 ms apiece when stdout is a pipe whose reader shares the cores
 * (9.6 ms of every wave of 20 joins in the join benchmark's CPU profile, more than the SDP work).
 */
export const logger = pino(
  {
    level:
      fromEnv && PINO_LEVELS.includes(fromEnv) ? fromEnv : process.env.JEST_WORKER_ID ? 'silent' : 'info',
    base: undefined,
  },
  pino.destination({ dest: 1, sync: false }),
);

export function configureLogger(level: string): void {
  logger.level = level;
}
