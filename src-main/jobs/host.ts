// The owner's side of the compute process: spawns it with the system `node` and tsx's loader, relays
// calls and events, restarts it on the next call after a crash, and stops it on close. Electron main
// and the `serve` command both use this, so the two transports reach the same process.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiMethod, ApiResponse, ApiTransport, EventListener } from '../../src-shared/api.js';
import { WORKSPACE_ENV, type ComputeMessage, type HostMessage } from './protocol.js';

export interface ComputeHostOptions {
  workspace: string;
  /** Folder holding package.json and src-main/; found from this file's location when omitted. */
  appRoot?: string;
  /** Node executable; default env SAE_EXPLORER_NODE, else `node` from PATH (never Electron's binary). */
  nodePath?: string;
  /** Extra environment for the compute process (e.g. SAE_BACKEND). */
  env?: Record<string, string>;
}

/** Walks up from `start` to the folder whose package.json is this app's. */
export function findAppRoot(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sae-explorer') return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find sae-explorer's package.json above ${start}`);
  }
}

interface Pending {
  resolve: (response: ApiResponse<unknown>) => void;
}

export class ComputeHost implements ApiTransport {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<EventListener>();
  private nextId = 1;
  private closed = false;
  private readonly appRoot: string;

  constructor(private readonly options: ComputeHostOptions) {
    this.appRoot = options.appRoot ?? findAppRoot();
  }

  /** Starts the process now rather than on the first call (surfaces start-up errors early). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the compute process was closed'));
    return (this.ready ??= this.spawn());
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async call(method: ApiMethod, params: unknown): Promise<ApiResponse<unknown>> {
    try {
      await this.start();
    } catch (err) {
      return { ok: false, error: { code: 'internal', message: `the compute process could not start: ${(err as Error).message}` } };
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.send({ type: 'call', id, method, params });
    });
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send({ type: 'shutdown' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: HostMessage): void {
    if (this.child?.connected) this.child.send(message);
  }

  private spawn(): Promise<void> {
    const entry = path.join(this.appRoot, 'src-main', 'jobs', 'compute.ts');
    const child = fork(entry, [], {
      cwd: this.appRoot,
      execPath: this.options.nodePath ?? process.env.SAE_EXPLORER_NODE ?? 'node',
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...this.options.env, [WORKSPACE_ENV]: path.resolve(this.options.workspace) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      child.on('message', (message: ComputeMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'response') {
          this.pending.get(message.id)?.resolve(message.response);
          this.pending.delete(message.id);
        } else if (message.type === 'event') {
          for (const listener of this.listeners) listener(message.event);
        }
      });
      child.on('error', (err) => reject(new Error(`cannot run ${entry} with node: ${err.message}`)));
      child.on('exit', (code, signal) => {
        const reason = `the compute process exited (${signal ?? `code ${code}`})`;
        reject(new Error(reason));
        for (const { resolve: answer } of this.pending.values()) answer({ ok: false, error: { code: 'internal', message: reason } });
        this.pending.clear();
        this.child = null;
        this.ready = null;
      });
    });
  }
}
