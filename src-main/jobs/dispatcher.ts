// The compute side of the contract: one handler per request, looked up by name. Transports (the
// compute process's IPC channel, in-process tests) call `dispatch`; events go to `subscribe`rs.
import { ApiError, STEER_STREAM_WINDOW, isApiMethod, isShellMethod, toErrorInfo } from '../../src-shared/api.js';
import type { ApiEvent, ApiMethod, ApiResponse, ApiTransport, EventListener, JobInfo, JobKind } from '../../src-shared/api.js';
import { lazyEngine } from './engine.js';
import type { EngineAccess, Handler, HandlerContext, HandlerTable } from './handler.js';
import { attentionHandlers } from './handlers/attention.js';
import { attributionHandlers } from './handlers/attribution.js';
import { compareHandlers } from './handlers/compare.js';
import { datasetHandlers } from './handlers/datasets.js';
import { demoHandlers } from './handlers/demo.js';
import { familyHandlers } from './handlers/family.js';
import { engineHandlers } from './handlers/engine.js';
import { featureHandlers } from './handlers/features.js';
import { harvestHandlers } from './handlers/harvest.js';
import { inspectHandlers } from './handlers/inspect.js';
import { jobHandlers } from './handlers/jobs.js';
import { steerHandlers } from './handlers/steer.js';
import { lmHandlers, recoverLmJob } from './handlers/lm.js';
import { saeHandlers } from './handlers/saes.js';
import { recoverTrainingJob, trainingHandlers } from './handlers/training.js';
import { workspaceHandlers } from './handlers/workspace.js';
import { isAlive, JobStore, type JobRecord } from './job-store.js';
import { JobManager } from './manager.js';
import { Resources } from './resources.js';
import { StreamManager, type StreamOptions } from './streams.js';
import { WorkspaceLayout } from './workspace/layout.js';
import { sweepStaleTemps } from './workspace/sweep.js';

export const HANDLERS: HandlerTable = {
  ...workspaceHandlers,
  ...jobHandlers,
  ...trainingHandlers,
  ...harvestHandlers,
  ...featureHandlers,
  ...inspectHandlers,
  ...steerHandlers,
  ...attributionHandlers,
  ...attentionHandlers,
  ...familyHandlers,
  ...lmHandlers,
  ...engineHandlers,
  ...saeHandlers,
  ...datasetHandlers,
  ...demoHandlers,
  ...compareHandlers,
};

/** Per job kind, whether a job an earlier compute process left unfinished can continue (its checkpoint survived). */
const RECOVERY: Partial<Record<JobKind, (record: JobRecord, workspace: WorkspaceLayout) => Promise<boolean>>> = {
  train: recoverTrainingJob,
  'lm-train': recoverLmJob,
};

export interface DispatcherOptions {
  workspace: string;
  engine?: EngineAccess;
  warn?: (message: string) => void;
  /** Default: the contract's window, and a 30 s lease (longer than a GPT-2 small step on a slow CPU). */
  streams?: StreamOptions;
}

const STREAM_LEASE_MS = 30_000;

/** The whole compute side in one object; it is an ApiTransport, so it can stand in for the process. */
export class Dispatcher implements ApiTransport {
  private readonly listeners = new Set<EventListener>();
  readonly context: HandlerContext;

  constructor(options: DispatcherOptions) {
    const workspace = new WorkspaceLayout(options.workspace);
    workspace.ensure();
    const engine = options.engine ?? lazyEngine();
    const warn = options.warn ?? ((message: string) => process.stderr.write(`compute: ${message}\n`));
    sweepStaleTemps(workspace, isAlive, warn);
    this.context = {
      workspace,
      jobs: new JobManager((event) => this.emit(event), Date.now, new JobStore(workspace.dir('jobs'), warn)),
      streams: new StreamManager((event) => this.emit(event), options.streams ?? { window: STEER_STREAM_WINDOW, leaseMs: STREAM_LEASE_MS }),
      engine,
      resources: new Resources(workspace, engine),
      warn,
    };
  }

  /**
   * Reports the jobs an earlier compute process left unfinished as failed (training resumable where
   * its checkpoint survived) and emits their final states; call once subscribed.
   */
  recoverInterruptedJobs(): Promise<JobInfo[]> {
    return this.context.jobs.recoverInterrupted(async (record) => RECOVERY[record.info.kind]?.(record, this.context.workspace) ?? false);
  }

  async call(method: ApiMethod, params: unknown): Promise<ApiResponse<unknown>> {
    try {
      if (!isApiMethod(method)) {
        throw new ApiError('bad_request', `unknown request "${String(method)}"; the contract has ${Object.keys(HANDLERS).join(', ')}`);
      }
      if (isShellMethod(method)) {
        throw new ApiError('not_available', `${method} is answered by the app's shell (the desktop app or \`sae-explorer serve\`), which opens workspaces; this compute process serves ${this.context.workspace.root} only`);
      }
      const handler = HANDLERS[method] as Handler<ApiMethod>;
      return { ok: true, result: await handler(params ?? {}, this.context) };
    } catch (err) {
      return { ok: false, error: toErrorInfo(err) };
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await Promise.all([this.context.streams.shutdown(), this.context.jobs.shutdown()]);
    this.context.resources.dispose();
    this.listeners.clear();
  }

  private emit(event: ApiEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
