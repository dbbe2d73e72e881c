// The fuzz suite's runner. Cases run in a child process (test/fuzz/child.ts) that this one watches:
// a case that kills the process, or hangs it (even in a synchronous loop, which no in-process timer
// could interrupt), is recorded with its name and the run goes on in a fresh child from the next case.
// Every case is built from the seed alone, so a child rebuilt from the same options holds the same list.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CATEGORIES = ['safetensors', 'model-config', 'sae-config', 'dataset', 'parquet', 'api'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface FuzzOptions {
  seed: number;
  /** Random cases per category, on top of each category's fixed cases. */
  cases: number;
  /** CI mode: the very long dataset line is 64 MiB (just over the document limit) instead of 1 GiB. */
  ci: boolean;
  categories: Category[];
}

/** A case's own judgement: `ok` when it ended as it should (a clear error, or a sound result). */
export interface Verdict {
  ok: boolean;
  detail: string;
}

export type Outcome = 'pass' | 'fail' | 'crash' | 'hang';

export interface CaseResult {
  index: number;
  category: Category;
  name: string;
  outcome: Outcome;
  detail: string;
}

/** What the child tells the watcher, in order: the list once, then start/end per case. */
export type ChildMessage =
  | { type: 'list'; cases: Array<{ category: Category; name: string; deadlineMs: number }> }
  | { type: 'start'; index: number }
  | { type: 'end'; index: number; verdict: Verdict };

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts');

/** Runs the cases from `from` in one child; resolves with the results and where to go on, if anywhere. */
function runChild(script: string, options: FuzzOptions, from: number, workDir: string, record: (r: CaseResult) => void): Promise<{ next: number | null }> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify({ ...options, from, workDir: path.join(workDir, `from-${from}`) })], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let list: Array<{ category: Category; name: string; deadlineMs: number }> = [];
    let current = -1;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'list') list = message.cases;
      else if (message.type === 'start') {
        current = message.index;
        // A deadline is the one timing rule a fuzz run needs: without it a hang never ends.
        timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, list[current].deadlineMs);
      } else {
        clearTimeout(timer);
        const { category, name } = list[message.index];
        record({ index: message.index, category, name, outcome: message.verdict.ok ? 'pass' : 'fail', detail: message.verdict.detail });
        current = -1;
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (current < 0) {
        // Outside any case: the suite itself (fixtures, set-up) is broken, which no case result can say.
        if (code !== 0) return reject(new Error(`the fuzz child exited with ${code ?? signal} outside a case: ${stderr.trim()}`));
        return resolve({ next: null });
      }
      const { category, name, deadlineMs } = list[current];
      record({
        index: current,
        category,
        name,
        outcome: hung ? 'hang' : 'crash',
        detail: hung ? `no end within ${deadlineMs / 1000} s` : `process exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-6).join(' | ')}`,
      });
      resolve({ next: current + 1 < list.length ? current + 1 : null });
    });
  });
}

/**
 * Runs every case of `options`, restarting the child after a crash or a hang. `script` is the child
 * (test/fuzz/child.ts; the watcher's own test passes one whose cases crash and hang on purpose).
 */
export async function runFuzz(options: FuzzOptions, onResult: (r: CaseResult) => void = () => {}, script = CHILD): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const record = (r: CaseResult) => {
    results.push(r);
    onResult(r);
  };
  const workDir = mkdtempSync(path.join(tmpdir(), 'sae-fuzz-'));
  try {
    let from: number | null = 0;
    while (from !== null) from = (await runChild(script, options, from, workDir, record)).next;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return results;
}

/** Cases and failures per category, for the report and docs/reliability.md. */
export function summarise(results: CaseResult[]): Array<{ category: Category; cases: number; pass: number; fail: number; crash: number; hang: number }> {
  return CATEGORIES.map((category) => {
    const mine = results.filter((r) => r.category === category);
    const count = (o: Outcome) => mine.filter((r) => r.outcome === o).length;
    return { category, cases: mine.length, pass: count('pass'), fail: count('fail'), crash: count('crash'), hang: count('hang') };
  }).filter((row) => row.cases > 0);
}
