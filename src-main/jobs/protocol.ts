// Messages between the process that owns the compute (Electron main or the `serve` command) and the
// compute process, over Node's IPC channel. Calls carry a numeric id; the answer repeats it. Pings
// are answered at once by the compute process's message loop: a process that stops answering them
// is hung (a blocked event loop, a read that never returns) and is restarted.
import type { ApiEvent, ApiMethod, ApiResponse } from '../../src-shared/api.js';

export type HostMessage =
  | { type: 'call'; id: number; method: ApiMethod; params: unknown }
  | { type: 'ping'; id: number }
  | { type: 'shutdown' };

export type ComputeMessage =
  | { type: 'ready'; pid: number }
  | { type: 'pong'; id: number }
  | { type: 'response'; id: number; response: ApiResponse<unknown> }
  | { type: 'event'; event: ApiEvent };

/** Environment variable carrying the workspace folder to the compute process. */
export const WORKSPACE_ENV = 'SAE_EXPLORER_WORKSPACE';

export function isHostMessage(value: unknown): value is HostMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; id?: unknown; method?: unknown };
  if (message.type === 'shutdown') return true;
  if (message.type === 'ping') return typeof message.id === 'number';
  return message.type === 'call' && typeof message.id === 'number' && typeof message.method === 'string';
}
