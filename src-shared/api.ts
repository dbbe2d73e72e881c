// The one typed API contract between the renderer and the compute side. Every request is a name
// ("domain.verb") with typed params and result; every answer is an ApiResponse envelope; long jobs
// stream JobEvents. The preload (IPC) and the browser-mode server (HTTP + WebSocket) carry exactly
// these requests, and the renderer only sees the SaeExplorerApi built by createApi.
import type {
  AttentionPatternParams,
  AttentionPatterns,
  HeadScoreParams,
  HeadScoreTable,
  LogitLens,
  LogitLensParams,
} from './api/attention.js';
import type { AttributionParams, AttributionResult, FeatureHeadsParams, FeatureHeadsResult, TokenEffectParams, TokenEffectResult } from './api/attribution.js';
import type { CompareParams, ComparisonIdParams, ComparisonSummary, SaeComparison } from './api/compare.js';
import type { DemoBuildParams, DemoBuildResult } from './api/demo.js';
import type { Diagnostics, EngineReport } from './api/engine.js';
import type { ApiErrorInfo, ApiResponse } from './api/errors.js';
import type { FamilyCounterparts, FamilyCounterpartsParams, FamilyPage, FamilyPageParams, FamilySplitting, FamilySplittingParams, FamilyTree, FamilyTreeParams } from './api/family.js';
import { ApiError } from './api/errors.js';
import type {
  FeatureId,
  FeatureListPage,
  FeatureListParams,
  FeatureMap,
  FeatureMapParams,
  FeaturePage,
  FeatureSearchHit,
  FeatureSearchParams,
} from './api/features.js';
import type { InspectParams, InspectResult } from './api/inspect.js';
import type { JobEvent, JobIdParams, JobInfo, JobRef } from './api/jobs.js';
import type { SteerEvent, SteerParams, SteerPreset, SteerPresetName, SteerResult, SteerStreamAck, SteerStreamRef, SteerSweep, SteerSweepParams } from './api/steer.js';
import type { LmCurve, LmCurveParams, LmEvaluateParams, LmExportParams, LmSampleParams, LmSampleResult, LmTrainParams } from './api/lm.js';
import type { ImportReleaseParams, ReleaseInfo, SaeEvaluateParams, SaeImportParams } from './api/saes.js';
import type { DatasetAddParams, DatasetPreview, DatasetPreviewParams, DatasetPullParams } from './api/datasets.js';
import type { HarvestParams, TrainParams } from './api/training.js';
import type { CreateTinyModelParams, DatasetEntry, KnownWorkspace, ModelEntry, PullModelParams, WorkspaceChoices, WorkspaceCreateParams, WorkspaceInfo, WorkspaceListing, WorkspaceOpenedEvent, WorkspaceOpenParams } from './api/workspace.js';

export type * from './api/attention.js';
export type * from './api/attribution.js';
export type * from './api/compare.js';
export type * from './api/demo.js';
export type * from './api/engine.js';
export * from './api/errors.js';
export type * from './api/family.js';
export type * from './api/features.js';
export type * from './api/inspect.js';
export * from './api/jobs.js';
export * from './api/steer.js';
export type * from './api/lm.js';
export type * from './api/saes.js';
export type * from './api/training.js';
export type * from './api/workspace.js';
export type * from './api/datasets.js';
export type * from './api/uploads.js';

type NoParams = Record<string, never>;

/** Request name → params and result. Adding a request here is the whole contract change. */
export interface ApiRequests {
  'workspace.info': { params: NoParams; result: WorkspaceInfo };
  'workspace.list': { params: NoParams; result: WorkspaceListing };
  'workspace.createTinyModel': { params: CreateTinyModelParams; result: ModelEntry };
  'workspace.pullModel': { params: PullModelParams; result: JobRef };
  'workspace.recent': { params: NoParams; result: WorkspaceChoices };
  'workspace.open': { params: WorkspaceOpenParams; result: KnownWorkspace };
  'workspace.create': { params: WorkspaceCreateParams; result: KnownWorkspace };
  'jobs.list': { params: NoParams; result: JobInfo[] };
  'jobs.pause': { params: JobIdParams; result: JobInfo };
  'jobs.resume': { params: JobIdParams; result: JobInfo };
  'jobs.cancel': { params: JobIdParams; result: JobInfo };
  'training.start': { params: TrainParams; result: JobRef };
  'harvest.start': { params: HarvestParams; result: JobRef };
  'features.list': { params: FeatureListParams; result: FeatureListPage };
  'features.page': { params: FeatureId; result: FeaturePage };
  'features.map': { params: FeatureMapParams; result: FeatureMap };
  'features.search': { params: FeatureSearchParams; result: FeatureSearchHit[] };
  'inspect.prompt': { params: InspectParams; result: InspectResult };
  'steer.generate': { params: SteerParams; result: SteerResult };
  'steer.sweep': { params: SteerSweepParams; result: SteerSweep };
  'steer.listPresets': { params: NoParams; result: SteerPreset[] };
  'steer.savePreset': { params: SteerPreset; result: SteerPreset[] };
  'steer.deletePreset': { params: SteerPresetName; result: SteerPreset[] };
  'steer.stream': { params: SteerParams; result: SteerStreamRef };
  'steer.ack': { params: SteerStreamAck; result: SteerStreamRef };
  'steer.cancel': { params: SteerStreamRef; result: SteerStreamRef };
  'attribution.run': { params: AttributionParams; result: AttributionResult };
  'attribution.tokenEffects': { params: TokenEffectParams; result: TokenEffectResult };
  'attribution.featureHeads': { params: FeatureHeadsParams; result: FeatureHeadsResult };
  'attention.patterns': { params: AttentionPatternParams; result: AttentionPatterns };
  'attention.headScores': { params: HeadScoreParams; result: HeadScoreTable };
  'attention.logitLens': { params: LogitLensParams; result: LogitLens };
  'family.tree': { params: FamilyTreeParams; result: FamilyTree };
  'family.counterparts': { params: FamilyCounterpartsParams; result: FamilyCounterparts };
  'family.page': { params: FamilyPageParams; result: FamilyPage };
  'family.splitting': { params: FamilySplittingParams; result: FamilySplitting };
  'lm.train': { params: LmTrainParams; result: JobRef };
  'lm.evaluate': { params: LmEvaluateParams; result: JobRef };
  'lm.sample': { params: LmSampleParams; result: LmSampleResult };
  'lm.export': { params: LmExportParams; result: JobRef };
  'lm.curve': { params: LmCurveParams; result: LmCurve };
  'engine.info': { params: NoParams; result: EngineReport };
  'engine.doctor': { params: NoParams; result: Diagnostics };
  'saes.evaluate': { params: SaeEvaluateParams; result: JobRef };
  'saes.releases': { params: NoParams; result: ReleaseInfo[] };
  'saes.importRelease': { params: ImportReleaseParams; result: JobRef };
  'saes.import': { params: SaeImportParams; result: JobRef };
  'datasets.add': { params: DatasetAddParams; result: DatasetEntry };
  'datasets.pull': { params: DatasetPullParams; result: JobRef };
  'datasets.preview': { params: DatasetPreviewParams; result: DatasetPreview };
  'demo.build': { params: DemoBuildParams; result: DemoBuildResult };
  'compare.start': { params: CompareParams; result: JobRef };
  'compare.get': { params: ComparisonIdParams; result: SaeComparison };
  'compare.list': { params: NoParams; result: ComparisonSummary[] };
}

export type ApiMethod = keyof ApiRequests;
export type ParamsOf<M extends ApiMethod> = ApiRequests[M]['params'];
export type ResultOf<M extends ApiMethod> = ApiRequests[M]['result'];

/** Events pushed to every connected renderer: jobs and streamed steering (compute side), another workspace opened (the shell). */
export type ApiEvent = JobEvent | SteerEvent | WorkspaceOpenedEvent;

// A Record over ApiMethod makes the compiler reject a request added to ApiRequests but not listed here.
const METHOD_SET: Record<ApiMethod, true> = {
  'workspace.info': true,
  'workspace.list': true,
  'workspace.createTinyModel': true,
  'workspace.pullModel': true,
  'workspace.recent': true,
  'workspace.open': true,
  'workspace.create': true,
  'jobs.list': true,
  'jobs.pause': true,
  'jobs.resume': true,
  'jobs.cancel': true,
  'training.start': true,
  'harvest.start': true,
  'features.list': true,
  'features.page': true,
  'features.map': true,
  'features.search': true,
  'inspect.prompt': true,
  'steer.generate': true,
  'steer.sweep': true,
  'steer.listPresets': true,
  'steer.savePreset': true,
  'steer.deletePreset': true,
  'steer.stream': true,
  'steer.ack': true,
  'steer.cancel': true,
  'attribution.run': true,
  'attribution.tokenEffects': true,
  'attribution.featureHeads': true,
  'attention.patterns': true,
  'attention.headScores': true,
  'attention.logitLens': true,
  'family.tree': true,
  'family.counterparts': true,
  'family.page': true,
  'family.splitting': true,
  'lm.train': true,
  'lm.evaluate': true,
  'lm.sample': true,
  'lm.export': true,
  'lm.curve': true,
  'engine.info': true,
  'engine.doctor': true,
  'saes.evaluate': true,
  'saes.releases': true,
  'saes.importRelease': true,
  'saes.import': true,
  'datasets.add': true,
  'datasets.pull': true,
  'datasets.preview': true,
  'demo.build': true,
  'compare.start': true,
  'compare.get': true,
  'compare.list': true,
};

/** Every request name, for transports that must refuse names outside the contract. */
export const API_METHODS = Object.keys(METHOD_SET) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHOD_SET, name);
}

/**
 * Requests the shell answers (the desktop app's main process, `sae-explorer serve`), not the compute
 * process: a compute process serves one workspace, and opening another means replacing it.
 */
export const SHELL_METHODS = ['workspace.recent', 'workspace.open', 'workspace.create'] as const satisfies readonly ApiMethod[];
export type ShellMethod = (typeof SHELL_METHODS)[number];
/** The requests a compute process answers. */
export type ComputeMethod = Exclude<ApiMethod, ShellMethod>;

export function isShellMethod(method: ApiMethod): method is ShellMethod {
  return (SHELL_METHODS as readonly ApiMethod[]).includes(method);
}

type DomainOf<M> = M extends `${infer D}.${string}` ? D : never;
export type ApiDomain = DomainOf<ApiMethod>;

/** Requests whose params are all optional can be called with no argument. */
type Call<M extends ApiMethod> = NoParams extends ParamsOf<M>
  ? (params?: ParamsOf<M>) => Promise<ResultOf<M>>
  : (params: ParamsOf<M>) => Promise<ResultOf<M>>;

export type EventListener = (event: ApiEvent) => void;

/** What the renderer uses: `api.workspace.list()`, `api.features.page({ model, sae, latent })`. */
export type SaeExplorerApi = {
  [D in ApiDomain]: { [M in ApiMethod as M extends `${D}.${infer Verb}` ? Verb : never]: Call<M> };
} & {
  /** Subscribe to job events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
};

/** The two operations a transport provides; createApi turns them into the named functions. */
export interface ApiTransport {
  call(method: ApiMethod, params: unknown): Promise<ApiResponse<unknown>>;
  subscribe(listener: EventListener): () => void;
}

/** Rejects with an ApiError carrying the remote code when the envelope is an error. */
export function unwrap<R>(response: ApiResponse<R>): R {
  if (response.ok) return response.result;
  throw new ApiError(response.error.code, response.error.message);
}

function splitMethod(method: ApiMethod): [string, string] {
  return method.split('.') as [string, string];
}

function namedFunctions(transport: ApiTransport, wrap: (method: ApiMethod) => (params?: unknown) => Promise<unknown>): Record<string, unknown> {
  const api: Record<string, unknown> = { onEvent: (listener: EventListener) => transport.subscribe(listener) };
  for (const method of API_METHODS) {
    const [domain, verb] = splitMethod(method);
    const functions = (api[domain] ??= {}) as Record<string, unknown>;
    functions[verb] = wrap(method);
  }
  return api;
}

export function createApi(transport: ApiTransport): SaeExplorerApi {
  return namedFunctions(transport, (method) => async (params) => unwrap(await transport.call(method, params ?? {}))) as SaeExplorerApi;
}

/**
 * What the Electron preload exposes through contextBridge: the contract's named functions, each
 * answering with the ApiResponse envelope. Errors thrown across contextBridge lose their fields, so
 * the envelope crosses instead and the renderer unwraps it (transportFromBridge + createApi).
 */
export type SaeExplorerBridge = {
  [D in ApiDomain]: {
    [M in ApiMethod as M extends `${D}.${infer Verb}` ? Verb : never]: (params?: ParamsOf<M>) => Promise<ApiResponse<ResultOf<M>>>;
  };
} & { onEvent(listener: EventListener): () => void };

export function createBridge(transport: ApiTransport): SaeExplorerBridge {
  return namedFunctions(transport, (method) => (params) => transport.call(method, params ?? {})) as SaeExplorerBridge;
}

export function transportFromBridge(bridge: SaeExplorerBridge): ApiTransport {
  return {
    call: (method, params) => {
      const [domain, verb] = splitMethod(method);
      const fn = (bridge as unknown as Record<string, Record<string, (p: unknown) => Promise<ApiResponse<unknown>>>>)[domain]![verb]!;
      return fn(params);
    },
    subscribe: (listener) => bridge.onEvent(listener),
  };
}

/** A response envelope for a thrown error, for transports. */
export function errorResponse(info: ApiErrorInfo): ApiResponse<never> {
  return { ok: false, error: info };
}
