// Workspace requests: what the folder holds, and adding models to it.
import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { CreateTinyModelParams, PullModelParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { newEntry } from './lookup.js';
import { scanModel, scanWorkspace } from '../workspace/scan.js';

const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);

function appVersion(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export const workspaceHandlers: DomainHandlers<'workspace'> = {
  'workspace.info': (params, { workspace, engine }) => {
    readParams<Record<string, never>>('workspace.info', params, {});
    return { root: workspace.root, backend: engine.backend(), version: appVersion(), node: { version: process.version, path: process.execPath } };
  },

  'workspace.list': (params, { workspace, warn }) => {
    readParams<Record<string, never>>('workspace.list', params, {});
    return scanWorkspace(workspace, warn);
  },

  'workspace.createTinyModel': async (params, { workspace }) => {
    const p = readParams<CreateTinyModelParams>('workspace.createTinyModel', params, {
      name: { type: 'string', ...ENTRY_NAME },
      layers: { type: 'integer', optional: true, min: 1, max: 12 },
      dModel: { type: 'integer', optional: true, min: 4, max: 1024 },
      heads: { type: 'integer', optional: true, min: 1, max: 16 },
      ctx: { type: 'integer', optional: true, min: 8, max: 1024 },
      seed: { type: 'integer', optional: true, min: 0, max: 2 ** 32 - 1 },
    });
    const target = newEntry(workspace, 'workspace.createTinyModel', 'models', 'model', p.name);
    const { createTinyModel, parseTinyModelOptions } = await import('../../model/tiny.js');
    const { writeJsonAtomic } = await import('../../io/atomic.js');
    const { name, ...options } = p;
    let o: ReturnType<typeof parseTinyModelOptions>;
    try {
      o = parseTinyModelOptions(options);
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
    const folder = createTinyModel(target, o);
    writeJsonAtomic(path.join(folder, 'provenance.json'), {
      source: `tiny random GPT-2 (${o.layers} layers, d_model ${o.dModel}, ${o.heads} heads, ctx ${o.ctx}, seed ${o.seed})`,
      createdAt: new Date().toISOString(),
    });
    return scanModel(workspace, name);
  },

  'workspace.pullModel': async (params, { workspace, jobs }) => {
    const p = readParams<PullModelParams>('workspace.pullModel', params, {
      name: { type: 'string', pattern: /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/, patternHint: 'a Hub model name like "gpt2" or "openai-community/gpt2"' },
    });
    const { isValidRepoId } = await import('../../hub/cache.js');
    if (!isValidRepoId(p.name)) {
      throw new ApiError('bad_request', `workspace.pullModel: "name" must be a Hub model name like "gpt2" or "openai-community/gpt2" (no "..", "--", or leading/trailing "." or "-"), got ${JSON.stringify(p.name)}`);
    }
    const id = p.name.replace('/', '--');
    const target = newEntry(workspace, 'workspace.pullModel', 'models', 'model', id);
    const job = jobs.start({
      kind: 'pull-model',
      title: `pull ${p.name} from the Hub`,
      pausable: false,
      run: async (job) => {
        const { resolveHubModel } = await import('../../hub/resolve.js');
        // Into the Hugging Face cache (shared with other tools), then linked into the workspace.
        const snapshot = await resolveHubModel(p.name, {
          download: true,
          signal: job.signal,
          onProgress: (done, total, file) => job.progress({ done, total, unit: 'bytes', phase: `downloading ${file}` }),
        });
        symlinkSync(snapshot, target, 'dir');
        return { wrote: [`model:${id}`], summary: { snapshot } };
      },
    });
    return { jobId: job.id };
  },
};
