import 'reflect-metadata';
import { createServer } from 'node:net';
import { startApp } from './app';
import { ConfigError, loadConfig } from './config';
import { DatabaseInUseError, DatabaseUnreachableError, DataDirInUseError } from './persistence';
import { configureLogger, logger } from './shared/logger';

const portInUse = (port: number, host: string) =>
  `port ${port} is in use on ${host} (another server, or an earlier one still running); set PORT to a free port, or stop it.`;

/** Whether host:port can be listened on, checked before anything else is opened (the database). */
function portFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** A start-up failure the operator can fix: one sentence on stderr, a distinct exit code, no stack. */
function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  configureLogger(config.logLevel);
  if (!(await portFree(config.host, config.port))) fail(portInUse(config.port, config.host), 4);
  let app;
  try {
    app = await startApp(config, { terminateMediaOnClose: true });
  } catch (error) {
    // Another server has this DATA_DIR: say so plainly and leave it (and its data) alone.
    if (error instanceof DataDirInUseError || error instanceof DatabaseInUseError) fail(error.message, 3);
    if (error instanceof DatabaseUnreachableError) fail(error.message, 5);
    // Taken between the check and the listen.
    if ((error as { code?: string }).code === 'EADDRINUSE') fail(portInUse(config.port, config.host), 4);
    throw error;
  }
  logger.info(
    { database: app.database.kind, media: app.media.status(), access: config.access.mode },
    `GraphQL SFU listening: page ${app.url}/  explorer ${app.url}/graphql`,
  );
  if (config.access.mode === 'open') {
    logger.info(
      { allowedOrigins: config.allowedOrigins },
      'open mode: anyone who reaches this address may create and join rooms; browsers only from this ' +
        'server’s own page (or ALLOWED_ORIGINS), and only for requests addressed to an IP address, localhost or ' +
        'an ALLOWED_ORIGINS host',
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A shutdown that hangs (a stuck socket) must not keep the process alive forever.
    const watchdog = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, 10_000);
    watchdog.unref();
    // In a cluster, SIGTERM first moves this node's rooms to the others (their clients rejoin there).
    const drained =
      signal === 'SIGTERM'
        ? app.drain().catch((error: unknown) => logger.warn({ err: error }, 'drain failed'))
        : Promise.resolve();
    drained
      .then(() => app.close())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Nothing a client does may take the process down: log what escaped and keep serving.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
process.on('uncaughtException', (error) => logger.error({ err: error }, 'uncaught exception'));

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
