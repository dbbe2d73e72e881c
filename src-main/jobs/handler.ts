// The shape of a request handler and of the table that maps every contract request to one. Handlers
// live with the feature they serve (handlers/<domain>.ts); the dispatcher only looks them up.
import type { ApiMethod, ComputeMethod, ResultOf } from '../../src-shared/api.js';
import type { JobManager } from './manager.js';
import type { Resources } from './resources.js';
import type { StreamManager } from './streams.js';
import type { WorkspaceLayout } from './workspace/layout.js';

/** The tensor engine of the compute process, started on the first request that needs it. */
export interface EngineAccess {
  /** tfjs backend name once started, else null. */
  backend(): string | null;
  start(): Promise<string>;
}

export interface HandlerContext {
  workspace: WorkspaceLayout;
  jobs: JobManager;
  /** Streamed results (steer.stream): they run beside jobs, paced by their reader. */
  streams: StreamManager;
  engine: EngineAccess;
  /** Models, tokenizers, SAE runners and databases kept loaded between requests. */
  resources: Resources;
  /** Writes a diagnostic line to the compute process's log (stderr). */
  warn(message: string): void;
}

/** Receives the raw params (validate them first) and returns the typed result or throws ApiError. */
export type Handler<M extends ApiMethod> = (params: unknown, ctx: HandlerContext) => Promise<ResultOf<M>> | ResultOf<M>;

/** Every request but the shell's (SHELL_METHODS: opening workspaces replaces the compute process). */
export type HandlerTable = { [M in ComputeMethod]: Handler<M> };

/** A domain's slice of the table, e.g. every 'features.*' handler. */
export type DomainHandlers<D extends string> = { [M in ComputeMethod as M extends `${D}.${string}` ? M : never]: Handler<M> };
