// Opening another workspace from the app. A compute process serves one workspace (its databases,
// loaded models, job records), so the shell answers workspace.recent / open / create itself and
// opening means a new compute process behind the same transport. Opening is refused while the open
// workspace has unfinished jobs, naming them: harvests, maps, evaluations and downloads cannot
// continue after their process stops, and in browser mode the job may belong to another tab, so
// stopping it is the user's choice (cancel on the Train screen), never a side effect of a switch.
import path from 'node:path';
import { ApiError, FINISHED_JOB_STATES, isShellMethod, toErrorInfo, unwrap } from '../../src-shared/api.js';
import type { ApiEvent, ApiMethod, ApiResponse, ApiTransport, EventListener, JobInfo, KnownWorkspace, ShellMethod, WorkspaceCreateParams, WorkspaceOpenParams } from '../../src-shared/api.js';
import { ENTRY_NAME, readParams } from './params.js';
import { workspaceId, type WorkspaceCatalog } from './workspace/catalog.js';

/** A compute process as the shell holds it (ComputeHost; a Dispatcher or a fake in tests). */
export interface ComputeBackend extends ApiTransport {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** What the shell requests need of a shell. */
export interface WorkspaceShell {
  catalog: WorkspaceCatalog;
  /** The open workspace's folder. */
  current(): string;
  /** Opens a folder of the catalog; throws ApiError (conflict while jobs run). */
  open(folder: string): Promise<void>;
}

/** The open workspace's unfinished jobs as one phrase ("job 3 (train fam, running)"), or null when there are none. */
export async function unfinishedJobs(backend: ApiTransport): Promise<string | null> {
  const jobs = unwrap(await backend.call('jobs.list', {})) as JobInfo[];
  const open = jobs.filter((job) => !FINISHED_JOB_STATES.includes(job.state));
  if (open.length === 0) return null;
  return open.map((job) => `job ${job.id} (${job.title}, ${job.state})`).join(', ');
}

/** Refuses to leave `current` while it has unfinished jobs, naming them and what to do. */
export async function refuseWhileJobsRun(method: string, backend: ApiTransport, current: string): Promise<void> {
  const jobs = await unfinishedJobs(backend);
  if (jobs) {
    throw new ApiError('conflict', `${method}: ${current} has unfinished jobs: ${jobs}; wait for them to finish, or cancel them on the Train screen, then open the other workspace`);
  }
}

function entryOf(folder: string, shell: WorkspaceShell): KnownWorkspace {
  return shell.catalog.find('workspace', workspaceId(folder), shell.current());
}

/** Answers workspace.recent, workspace.open and workspace.create for a shell. */
export async function answerShellRequest(method: ShellMethod, params: unknown, shell: WorkspaceShell): Promise<unknown> {
  switch (method) {
    case 'workspace.recent':
      readParams<Record<string, never>>(method, params, {});
      return shell.catalog.choices(shell.current());
    case 'workspace.open': {
      const { id } = readParams<WorkspaceOpenParams>(method, params, { id: { type: 'string', pattern: /^[0-9a-f]{16}$/, patternHint: 'a workspace id from workspace.recent (16 hex digits)' } });
      const known = shell.catalog.find(method, id, shell.current());
      if (!known.current) await shell.open(known.path);
      return entryOf(known.path, shell);
    }
    case 'workspace.create': {
      const { name } = readParams<WorkspaceCreateParams>(method, params, { name: { type: 'string', ...ENTRY_NAME } });
      return entryOf(shell.catalog.create(method, name), shell);
    }
  }
}

/** answerShellRequest as a response envelope. */
export async function shellResponse(method: ShellMethod, params: unknown, shell: WorkspaceShell): Promise<ApiResponse<unknown>> {
  try {
    return { ok: true, result: await answerShellRequest(method, params, shell) };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
}

export interface WorkspaceSwitchOptions<B extends ComputeBackend = ComputeBackend> {
  catalog: WorkspaceCatalog;
  /** The workspace open at start, and its compute process (started or starting). */
  folder: string;
  backend: B;
  /** A compute process for another workspace, not started yet. */
  spawn(folder: string): B;
  /** Called once a switch is done, with the new, started compute process (e.g. to build the demo). */
  opened?(folder: string, backend: B): void;
}

/**
 * The browser-mode server's backend: every request goes to the open workspace's compute process,
 * except the shell's, and events come from whichever process is current, so a WebSocket connected
 * before a switch keeps receiving them. A switch waits for the calls in flight, checks the jobs,
 * starts the new process (the old one stays if that fails), swaps, tells every page
 * (`workspace.opened`), and stops the old process. Calls arriving meanwhile are refused, so none can
 * start a job in a workspace that is being closed.
 */
export class WorkspaceSwitch<B extends ComputeBackend = ComputeBackend> implements ApiTransport, WorkspaceShell {
  private backend: B;
  private folder: string;
  private readonly listeners = new Set<EventListener>();
  private unsubscribe: () => void;
  private opening: string | null = null;
  private inFlight = 0;
  private readonly idle = new Set<() => void>();
  readonly catalog: WorkspaceCatalog;

  constructor(private readonly options: WorkspaceSwitchOptions<B>) {
    this.catalog = options.catalog;
    this.folder = path.resolve(options.folder);
    this.backend = options.backend;
    this.unsubscribe = this.relay(this.backend);
  }

  current(): string {
    return this.folder;
  }

  /** The open workspace's compute process. */
  get compute(): B {
    return this.backend;
  }

  async call(method: ApiMethod, params: unknown): Promise<ApiResponse<unknown>> {
    if (isShellMethod(method)) return shellResponse(method, params, this);
    if (this.opening !== null) return { ok: false, error: { code: 'conflict', message: `${method}: the app is opening ${this.opening}; ask again once it is open` } };
    this.inFlight++;
    try {
      return await this.backend.call(method, params);
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idle) resolve();
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async open(folder: string): Promise<void> {
    const target = path.resolve(folder);
    if (this.opening !== null) throw new ApiError('conflict', `workspace.open: the app is already opening ${this.opening}`);
    if (target === this.folder) return;
    this.opening = target;
    let previous: B;
    try {
      await this.untilIdle();
      await refuseWhileJobsRun('workspace.open', this.backend, this.folder);
      const next = this.options.spawn(target);
      try {
        await next.start();
      } catch (err) {
        await next.close();
        throw new ApiError('internal', `workspace.open: the compute process for ${target} could not start, so ${this.folder} stays open: ${(err as Error).message}`);
      }
      previous = this.backend;
      this.unsubscribe();
      this.backend = next;
      this.folder = target;
      this.unsubscribe = this.relay(next);
    } finally {
      this.opening = null;
    }
    this.catalog.remember(target);
    this.emit({ type: 'workspace.opened', root: target });
    this.options.opened?.(target, this.backend);
    await previous.close();
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.listeners.clear();
    await this.backend.close();
  }

  private untilIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.idle.delete(done);
        resolve();
      };
      this.idle.add(done);
    });
  }

  private relay(source: ApiTransport): () => void {
    return source.subscribe((event) => this.emit(event));
  }

  private emit(event: ApiEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
