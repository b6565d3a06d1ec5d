import pino from 'pino';

/**
 * The process-wide logger. Its level is set from the validated config at start
 * (`configureLogger`); before that, and in tests, it follows LOG_LEVEL or stays quiet.
 */
const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const fromEnv = process.env.LOG_LEVEL;

/** An unknown LOG_LEVEL is the config's to report (one sentence), not pino's to throw on at import. */
export const logger = pino({
  level: fromEnv && PINO_LEVELS.includes(fromEnv) ? fromEnv : process.env.JEST_WORKER_ID ? 'silent' : 'info',
  base: undefined,
});

export function configureLogger(level: string): void {
  logger.level = level;
}
