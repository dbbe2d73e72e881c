// The typed answer of a handler whose backend has not landed yet or is not installed: the UI shows
// the message, and no handler ever fakes data in its place.
import { ApiError } from '../../src-shared/api.js';

export function notAvailable(what: string, missing: string): ApiError {
  return new ApiError('not_available', `${what} is not available yet: ${missing}`);
}
