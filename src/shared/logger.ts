import pino from 'pino';

/**
 * The process-wide logger. Its level is set from the validated config at start
 * (`configureLogger`); before that, and in tests, it follows LOG_LEVEL or stays quiet.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info'),
  base: undefined,
});

export function configureLogger(level: string): void {
  logger.level = level;
}
