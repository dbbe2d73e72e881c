// What a store keeps of a failed request: the contract's error code (so the UI can say "not
// available yet" plainly) and the message the API wrote.
import { ApiError, type ApiErrorInfo } from '../../../src-shared/api.js';

export function errorInfo(err: unknown): ApiErrorInfo {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
