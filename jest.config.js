/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Dynamic imports of our own modules name the compiled file (`./cluster/index.js`), as Node's
  // ESM resolver needs; under jest that is the .ts source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  // Every test file gets a fresh worker process (the memory limit recycles the worker after each
  // file). medooze's addon keeps process-wide native state that does not survive jest re-requiring
  // it in the next file (PGlite then hangs at start), and MediaServer.terminate() may run once per
  // process. One worker at a time: media tests measure timing and the machine has 2 cores.
  maxWorkers: 1,
  workerIdleMemoryLimit: '1MB',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/releaseMedia.ts'],
};
