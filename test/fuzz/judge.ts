// What counts as a clear error, and the case shape every category builds.
import type { Category, Verdict } from './harness.js';

export interface FuzzCase {
  category: Category;
  name: string;
  /** How long the watcher waits before calling the case hung; default 20 s. */
  deadlineMs?: number;
  run(): Promise<Verdict>;
}

/** Errors the language raises on its own: they mean the input reached code that did not expect it. */
const INTERNAL_ERRORS: Function[] = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/** Why `err` is not a clear error about `subject`, or undefined when it is one. */
export function unclearError(err: unknown, subject: string): string | undefined {
  if (!(err instanceof Error)) return `threw a non-Error: ${String(err)}`;
  if (INTERNAL_ERRORS.includes(err.constructor)) return `${err.name} from the runtime, not a message for the user: ${err.message}`;
  if (!err.message.includes(subject)) return `the error does not name ${subject}: ${err.message}`;
  if (/\n\s+at /.test(err.message)) return `the message carries a stack trace: ${err.message.slice(0, 200)}`;
  return undefined;
}

/**
 * Runs `action` on bad input. It must throw a clear error naming `subject`; with `mayAccept` (a
 * mutation that can leave the input valid, such as a flipped byte inside a float), finishing is fine too.
 */
export async function expectClearError(subject: string, action: () => unknown, mayAccept = false): Promise<Verdict> {
  try {
    await action();
  } catch (err) {
    const problem = unclearError(err, subject);
    return problem ? { ok: false, detail: problem } : { ok: true, detail: (err as Error).message.slice(0, 300) };
  }
  return mayAccept ? { ok: true, detail: 'accepted (the mutation left the input valid)' } : { ok: false, detail: 'accepted bad input without an error' };
}

/** The control of a category: its unchanged input must load, or every refusal above proves nothing. */
export async function expectAccepted(action: () => unknown): Promise<Verdict> {
  try {
    await action();
    return { ok: true, detail: 'the unchanged input loads' };
  } catch (err) {
    return { ok: false, detail: `the unchanged input is refused, so the mutated cases test nothing: ${(err as Error).message}` };
  }
}
