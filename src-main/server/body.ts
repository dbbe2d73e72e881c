// The body of an API request: bounded in size (413 past the bound, not a reset) and in nesting
// (400 for JSON deeper than params ever are, before anything recurses into it and overflows the stack).
import type { IncomingMessage } from 'node:http';

/** Request bodies above this are refused: params are small JSON objects. */
export const MAX_BODY_BYTES = 1 << 20;
/** Params nest a few levels (objects of lists of numbers); anything deeper is refused. */
export const MAX_PARAMS_DEPTH = 32;
/**
 * An over-size body is still read, and dropped, up to this many bytes, so the client has sent it all
 * and reads its 413 instead of a reset; a client that sends more than this has its connection cut.
 */
const MAX_DRAIN_BYTES = 64 << 20;

export type BodyResult = { status: 200; text: string } | { status: 413; message: string };

export function readBody(request: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const tooLarge = { status: 413, message: `request body larger than ${MAX_BODY_BYTES} bytes; params are small JSON objects` } as const;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) {
        request.destroy();
        reject(new Error(tooLarge.message));
      } else chunks.length = 0;
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? tooLarge : { status: 200, text: Buffer.concat(chunks).toString('utf8') }));
    request.on('error', reject);
  });
}

/** Whether a parsed JSON value nests deeper than `limit` objects and arrays; iterative, so any depth is safe. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (typeof top.value !== 'object' || top.value === null) continue;
    if (top.depth > limit) return true;
    for (const child of Object.values(top.value)) stack.push({ value: child, depth: top.depth + 1 });
  }
  return false;
}

/** The params of a body, or the reason they are not valid JSON params. */
export function parseParams(text: string): { ok: true; params: unknown } | { ok: false; message: string } {
  let params: unknown;
  try {
    params = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `body is not valid JSON params: ${(err as Error).message}` };
  }
  if (nestsDeeperThan(params, MAX_PARAMS_DEPTH)) return { ok: false, message: `body nests deeper than ${MAX_PARAMS_DEPTH} levels; params are small JSON objects` };
  return { ok: true, params };
}
