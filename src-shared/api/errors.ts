// The errors every request can answer with, identical on IPC and HTTP: a code the UI can branch on
// and a message that says what was wrong and what would be right.

export type ApiErrorCode =
  /** The params do not match the contract (field named in the message). */
  | 'bad_request'
  /** The model, SAE, latent, job or file named does not exist. */
  | 'not_found'
  /** The backend this request needs is not built yet or not installed here. */
  | 'not_available'
  /** The request clashes with the current state (name taken, job already finished). */
  | 'conflict'
  /** The job or request was cancelled. */
  | 'cancelled'
  /** A bug or an unexpected failure; the message carries the original error. */
  | 'internal';

export interface ApiErrorInfo {
  code: ApiErrorCode;
  message: string;
}

/** Raised by handlers and by the renderer's client; crosses every transport as ApiErrorInfo. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }

  toInfo(): ApiErrorInfo {
    return { code: this.code, message: this.message };
  }
}

/** Any thrown value as ApiErrorInfo; non-ApiErrors become `internal` with their message kept. */
export function toErrorInfo(err: unknown): ApiErrorInfo {
  if (err instanceof ApiError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}

/** The envelope every request answers with, so errors keep their code across IPC and HTTP. */
export type ApiResponse<R> = { ok: true; result: R } | { ok: false; error: ApiErrorInfo };
