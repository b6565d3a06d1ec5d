/** The SDK knows every error code the server can send (generated from its registry by codegen). */
import { API_ERROR_CODES } from '../../client/sdk/errors';
import { ErrorCode } from '../../src/shared/errors';

test("the SDK's error codes are the server's registry", () => {
  expect([...API_ERROR_CODES].sort()).toEqual(Object.values(ErrorCode).sort());
});
