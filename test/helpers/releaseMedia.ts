import * as MediaServer from 'medooze-media-server';

// medooze's native threads keep a process alive until MediaServer.terminate(). Each test file
// runs in a process of its own (jest.config.js), so it is safe to release them when the file ends.
// Endpoints and transports are still stopped by the tests that made them.
afterAll(() => {
  MediaServer.terminate();
});
