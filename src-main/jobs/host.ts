// The owner's side of the compute process: spawns it with the system `node` (found by
// node-runtime.ts) and tsx's loader, relays calls and events, restarts it on the next call after a
// crash or a failed start, and stops it on close. Electron main and the `serve` command both use
// this, so the two transports reach the same process.
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

  constructor(private readonly options: ComputeHostOptions) {
    this.appRoot = options.appRoot ?? findAppRoot();
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

  private async spawn(): Promise<void> {
    const node = await this.findRuntime();
    if (this.closed) throw new Error('the compute process was closed');
    const entry = path.join(this.appRoot, 'src-main', 'jobs', 'compute.ts');
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

  private async findRuntime(): Promise<NodeRuntime> {
    this.runtime ??= await findNode({ env: { ...process.env, ...this.options.env }, ...this.options.node });
    return this.runtime;
  }

  /**
   * Resolves on the child's `ready`; rejects, naming the node, when it cannot be spawned (which emits
   * only `error`, never `exit`), exits first, or stays silent past the deadline (then it is killed).
   */
  private untilReady(child: ChildProcess, node: NodeRuntime): Promise<void> {
    const which = `node ${node.version} at ${node.path} (${node.source})`;
    const timeoutMs = this.options.readyTimeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the compute process did not start within ${timeoutMs / 1000} s on ${which}; it was stopped`));
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('message', (message: ComputeMessage) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      child.on('error', (err) => {
        // Only a failed spawn leaves no pid; other errors (a failed send) belong to a live process.
        if (child.pid !== undefined) return;
        clearTimeout(timer);
        // The node found earlier may have gone (an upgrade removed it): search again next time.
        this.runtime = null;
        if (this.child === child) this.child = null;
        reject(new Error(`cannot run ${path.join(this.appRoot, 'src-main', 'jobs', 'compute.ts')} with ${which}: ${err.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const reason = `the compute process exited (${signal ?? `code ${code}`})`;
        reject(new Error(`${reason} on ${which}`));
        for (const { resolve: answer } of this.pending.values()) answer({ ok: false, error: { code: 'internal', message: reason } });
        this.pending.clear();
        // A late exit of a process already replaced must not forget its successor.
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
      });
    });
  }
}
