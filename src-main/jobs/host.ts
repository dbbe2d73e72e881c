// The owner's side of the compute process: spawns it with the system `node` (found by
// node-runtime.ts) and tsx's loader, relays calls and events, and stops it on close. Electron main and
// the `serve` command both use this, so the two transports reach the same process. Nothing the
// process does can hang a caller: every call has a deadline, and a process that stops answering
// pings is killed. A process that dies after it was ready is restarted at once (so it can report the
// jobs it interrupted); a start that failed is retried on the next call.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiMethod, ApiResponse, ApiTransport, EventListener } from '../../src-shared/api.js';
import { CUDA_LIB_DIR_ENV, withCudaLibraryFolder } from '../engine/cuda.js';
import { findNode, type NodeRuntime, type NodeSearch } from './node-runtime.js';
import { WORKSPACE_ENV, type ComputeMessage, type HostMessage } from './protocol.js';

export interface ComputeHostOptions {
  workspace: string;
  /** Folder holding package.json and src-main/; found from this file's location when omitted. */
  appRoot?: string;
  /** How to find node (setting, remembered choice…); its `env` defaults to the compute process's. */
  node?: NodeSearch;
  /** Extra environment for the compute process (e.g. SAE_BACKEND). */
  env?: Record<string, string>;
  /** How long a new compute process may take to say ready; default 120 s (a cold tsx compile on a slow disk). */
  readyTimeoutMs?: number;
  /** Where to say which node runs the compute process; default nowhere. */
  log?: (line: string) => void;
  /** The "CUDA libraries folder" setting; default env SAE_EXPLORER_CUDA_LIB_DIR. */
  cudaLibraryDir?: string;
  /**
   * How long a call may wait for its answer; default env SAE_EXPLORER_CALL_TIMEOUT_S (seconds), else
   * 30 s. Long work runs as jobs whose start call answers at once, so every request is short.
   */
  callTimeoutMs?: number;
  /** How often the process is pinged; default 5 s. */
  heartbeatMs?: number;
  /**
   * A process that has answered no ping for this long is hung, killed and restarted; default env
   * SAE_EXPLORER_HUNG_AFTER_S (seconds), else 5 minutes. Far longer than the call deadline because
   * some job steps hold the event loop for many seconds on GPT-2-small-sized families (the harvest's
   * database writes, a model forward on a slow backend), and killing those would lose the job.
   */
  hungAfterMs?: number;
  /** The compute process's entry script; default src-main/jobs/compute.ts (tests run fakes). */
  entry?: string;
}

/**
 * The compute process's environment: ours, the options', the workspace, and the CUDA libraries
 * folder in front of the loader's path — set here because the loader reads LD_LIBRARY_PATH only when
 * a process starts, and this process is where TensorFlow loads.
 */
export function computeEnv(options: ComputeHostOptions, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...options.env, [WORKSPACE_ENV]: path.resolve(options.workspace) };
  const folder = options.cudaLibraryDir ?? env[CUDA_LIB_DIR_ENV];
  return folder ? withCudaLibraryFolder(env, folder) : env;
}

export const CALL_TIMEOUT_ENV = 'SAE_EXPLORER_CALL_TIMEOUT_S';
export const HUNG_AFTER_ENV = 'SAE_EXPLORER_HUNG_AFTER_S';
const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_HUNG_AFTER_MS = 300_000;
const DEFAULT_HEARTBEAT_MS = 5_000;

function millisecondsFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const seconds = Number(text);
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new Error(`${name} must be a positive number of seconds, got "${text}"`);
  return seconds * 1000;
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
  private runtime: NodeRuntime | null = null;
  private readonly callTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly hungAfterMs: number;

  constructor(private readonly options: ComputeHostOptions) {
    this.appRoot = options.appRoot ?? findAppRoot();
    this.callTimeoutMs = options.callTimeoutMs ?? millisecondsFromEnv(CALL_TIMEOUT_ENV, DEFAULT_CALL_TIMEOUT_MS);
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.hungAfterMs = options.hungAfterMs ?? millisecondsFromEnv(HUNG_AFTER_ENV, DEFAULT_HUNG_AFTER_MS);
  }

  /**
   * Starts the process now rather than on the first call (surfaces start-up errors early). A start
   * that fails (no node, a spawn error, no `ready` in time) is forgotten, so the next call retries.
   */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the compute process was closed'));
    return (this.ready ??= this.spawn().catch((err: unknown) => {
      this.ready = null;
      throw err;
    }));
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The node the compute process runs on, once found. */
  get node(): NodeRuntime | null {
    return this.runtime;
  }

  async call(method: ApiMethod, params: unknown): Promise<ApiResponse<unknown>> {
    try {
      await this.start();
    } catch (err) {
      return { ok: false, error: { code: 'internal', message: `the compute process could not start: ${(err as Error).message}` } };
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const seconds = this.callTimeoutMs / 1000;
        resolve({
          ok: false,
          error: { code: 'internal', message: `${method}: no answer from the compute process within ${seconds} s (${CALL_TIMEOUT_ENV} sets the limit); long work runs as jobs, so this request is stuck` },
        });
      }, this.callTimeoutMs);
      this.pending.set(id, {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
      });
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
    // Longer than the compute process's own wait for its running job (JobManager.shutdown).
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: HostMessage): void {
    if (this.child?.connected) this.child.send(message);
  }

  private async spawn(): Promise<void> {
    const node = await this.findRuntime();
    if (this.closed) throw new Error('the compute process was closed');
    const entry = this.entry();
    // spawn with an IPC fd, not fork: Electron's fork adds ELECTRON_RUN_AS_NODE to the child's
    // environment, meant for a child that is Electron itself; this child is the system node.
    const child = spawn(node.path, ['--import', 'tsx', entry], {
      cwd: this.appRoot,
      env: computeEnv(this.options),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    child.on('message', (message: ComputeMessage) => {
      if (message.type === 'response') {
        this.pending.get(message.id)?.resolve(message.response);
        this.pending.delete(message.id);
      } else if (message.type === 'event') {
        for (const listener of this.listeners) listener(message.event);
      }
    });
    await this.untilReady(child, node);
    this.options.log?.(`compute process ${child.pid} runs on node ${node.version} at ${node.path} (${node.source})`);
  }

  private entry(): string {
    return this.options.entry ?? path.join(this.appRoot, 'src-main', 'jobs', 'compute.ts');
  }

  private async findRuntime(): Promise<NodeRuntime> {
    this.runtime ??= await findNode({ env: { ...process.env, ...this.options.env }, ...this.options.node });
    return this.runtime;
  }

  /**
   * Resolves on the child's `ready`; rejects, naming the node, when it cannot be spawned (which emits
   * only `error`, never `exit`), exits first, or stays silent past the deadline (then it is killed).
   * Once ready, pings it, and kills it when it stops answering.
   */
  private untilReady(child: ChildProcess, node: NodeRuntime): Promise<void> {
    const which = `node ${node.version} at ${node.path} (${node.source})`;
    const timeoutMs = this.options.readyTimeoutMs ?? 120_000;
    let wasReady = false;
    let hung: string | null = null;
    let lastPong = Date.now();
    let heartbeat: NodeJS.Timeout | undefined;
    const beat = (): void => {
      if (Date.now() - lastPong <= this.hungAfterMs) {
        if (child.connected) child.send({ type: 'ping', id: lastPong } satisfies HostMessage);
        return;
      }
      hung = `it answered no ping for ${this.hungAfterMs / 1000} s`;
      process.stderr.write(`sae-explorer: killing the compute process (pid ${child.pid}): ${hung}\n`);
      clearInterval(heartbeat);
      child.kill('SIGKILL');
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the compute process did not start within ${timeoutMs / 1000} s on ${which}; it was stopped`));
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('message', (message: ComputeMessage) => {
        if (message.type === 'pong') lastPong = Date.now();
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        wasReady = true;
        lastPong = Date.now();
        heartbeat = setInterval(beat, this.heartbeatMs);
        heartbeat.unref();
        resolve();
      });
      child.on('error', (err) => {
        // Only a failed spawn leaves no pid; other errors (a failed send) belong to a live process.
        if (child.pid !== undefined) return;
        clearTimeout(timer);
        // The node found earlier may have gone (an upgrade removed it): search again next time.
        this.runtime = null;
        if (this.child === child) this.child = null;
        reject(new Error(`cannot run ${this.entry()} with ${which}: ${err.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        clearInterval(heartbeat);
        const reason = hung
          ? `the compute process stopped answering (${hung}); it was killed and is restarted`
          : `the compute process exited (${signal ?? `code ${code}`})`;
        reject(new Error(`${reason} on ${which}`));
        for (const { resolve: answer } of this.pending.values()) answer({ ok: false, error: { code: 'internal', message: reason } });
        this.pending.clear();
        // A late exit of a process already replaced must not forget its successor.
        if (this.child !== child) return;
        this.child = null;
        this.ready = null;
        // At once, so the new process reports the jobs this one interrupted; a failure shows on the next call.
        if (wasReady && !this.closed) this.start().catch(() => {});
      });
    });
  }
}
