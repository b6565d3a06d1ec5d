import 'reflect-metadata';
import { startApp } from './app';
import { ConfigError, loadConfig } from './config';
import { DataDirInUseError } from './persistence';
import { configureLogger, logger } from './shared/logger';

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
  let app;
  try {
    app = await startApp(config, { terminateMediaOnClose: true });
  } catch (error) {
    // Another server has this DATA_DIR: say so plainly and leave it (and its data) alone.
    if (error instanceof DataDirInUseError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(3);
    }
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
    app.close().then(
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
