// Job records in the workspace (jobs/<id>.json), so jobs outlive the compute process that ran them:
// the next process lists them, reports the ones it finds unfinished as interrupted, and never hands
// out an id a stale UI could still be pointing at.
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ApiMethod, JobInfo } from '../../src-shared/api.js';
import { createFileExclusive, writeJsonAtomic } from '../io/atomic.js';
import { readRegularFile } from '../io/regular-file.js';

/** The request that started a job, params as validated, so the work can be continued later. */
export interface JobRequest {
  method: ApiMethod;
  params: unknown;
}

export interface JobRecord {
  info: JobInfo;
  /** The compute process running the job; once it is gone, an unfinished job was interrupted. */
  owner: number;
  request: JobRequest | null;
}

const RECORD_FILE = /^job-(\d+)\.json$/;

export class JobStore {
  constructor(
    private readonly dir: string,
    private readonly warn: (message: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Writes a new job's first record under the next free id, job-N with N above every id in the
   * folder. Claiming the file exclusively keeps ids unique across restarts and between two processes
   * that share the workspace.
   */
  create(make: (id: string) => JobRecord): JobRecord {
    for (let n = this.highestNumber() + 1; ; n++) {
      const record = make(`job-${n}`);
      if (createFileExclusive(this.file(record.info.id), `${JSON.stringify(record, null, 2)}\n`)) return record;
    }
  }

  save(record: JobRecord): void {
    writeJsonAtomic(this.file(record.info.id), record);
  }

  /** Every readable record, oldest id first; an unreadable one is skipped with a warning naming it. */
  load(): JobRecord[] {
    const records: JobRecord[] = [];
    for (const name of this.recordFiles()) {
      const file = path.join(this.dir, name);
      try {
        const record = JSON.parse(readRegularFile(file)) as Partial<JobRecord>;
        if (typeof record.info?.id !== 'string' || typeof record.owner !== 'number') throw new Error('expected { info: { id, … }, owner, request }');
        records.push({ info: { ...record.info, resumable: record.info.resumable === true }, owner: record.owner, request: record.request ?? null });
      } catch (err) {
        this.warn(`skipped job record ${file}: ${(err as Error).message}`);
      }
    }
    return records;
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private recordFiles(): string[] {
    const number = (name: string): number => Number(RECORD_FILE.exec(name)![1]);
    return readdirSync(this.dir)
      .filter((name) => RECORD_FILE.test(name))
      .sort((a, b) => number(a) - number(b));
  }

  private highestNumber(): number {
    return this.recordFiles().reduce((max, name) => Math.max(max, Number(RECORD_FILE.exec(name)![1])), 0);
  }
}

/** Whether a process with this id runs (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
