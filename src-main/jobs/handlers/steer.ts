// steer.generate: a prompt continued as the model is and with SAE latents steered, side by side;
// steer.stream / ack / cancel: the same, token by token in `steer.stream` events (jobs/streams.ts);
// steer.sweep: the same at several strengths, tracking the tokens the latent promotes;
// steer.listPresets / savePreset / deletePreset: named steer settings kept in the workspace.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError, toErrorInfo } from '../../../src-shared/api.js';
import type { SteerParams, SteerPreset, SteerPresetName, SteerResult, SteerStreamAck, SteerStreamRef, SteerStreamState, SteerSweepParams } from '../../../src-shared/api.js';
import type { SteerOptions, SteerResult as CausalSteerResult } from '../../causal/steer.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import type { DomainHandlers, HandlerContext } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams, type ParamsSpec } from '../params.js';
import { withLoaded, type Loaded } from './loaded.js';
import { requireModel, requireSae } from './lookup.js';

const STEER_FIELDS: ParamsSpec<SteerParams> = {
  model: { type: 'string', ...ENTRY_NAME },
  sae: { type: 'string', ...SAE_ID },
  prompt: { type: 'string', maxLength: 20_000 },
  latents: { type: 'integer[]', min: 0, minItems: 1 },
  strength: { type: 'number', min: -1e6, max: 1e6 },
  mode: { type: 'enum', optional: true, values: ['add', 'clamp'] },
  fromPosition: { type: 'integer', optional: true, min: 0 },
  maxNewTokens: { type: 'integer', optional: true, min: 1, max: 256 },
  temperature: { type: 'number', optional: true, min: 0, max: 10 },
  seed: { type: 'integer', optional: true, min: 0, max: 2 ** 32 - 1 },
};

const PRESET_FIELDS: ParamsSpec<SteerPreset> = { name: { type: 'string', ...ENTRY_NAME }, ...STEER_FIELDS };

const PRESETS_FILE = 'presets.json';
/** The file is read whole on every presets request; this keeps it small (each prompt is at most 20k characters). */
export const MAX_PRESETS = 100;

/** The presets file's path, through the workspace's containment check (steer/ may be a link out). */
function presetsFile(ctx: HandlerContext, method: string): string {
  const entry = ctx.workspace.entry(method, 'steer', PRESETS_FILE);
  if (entry.state === 'refused') throw new ApiError('conflict', `${method}: ${entry.path} leads outside the workspace or nowhere (a link); remove it`);
  return entry.path;
}

/** The stored presets, each checked as a save would be, so a hand-edited file cannot feed bad params to the screen. */
function readPresets(method: string, file: string): SteerPreset[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch (err) {
    throw new ApiError('conflict', `${method}: ${file} is not JSON (${(err as Error).message}); fix or remove it`);
  }
  const presets = (stored as { presets?: unknown } | null)?.presets;
  if (!Array.isArray(presets)) throw new ApiError('conflict', `${method}: ${file} must hold {"presets": [...]}; fix or remove it`);
  return presets.map((preset, i) => {
    try {
      return readParams<SteerPreset>(`${method}: ${file}, preset ${i}`, preset, PRESET_FIELDS);
    } catch (err) {
      throw new ApiError('conflict', `${(err as Error).message}; fix or remove it`);
    }
  });
}

function writePresets(file: string, presets: SteerPreset[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, { presets });
}

/** The prompt as the model is fed it, the steer options, and how token ids become the contract's result. */
async function steerInputs(p: SteerParams, { model, tokenizer, saes: [sae] }: Loaded) {
  const { promptIds } = await import('../../causal/prompt.js');
  const maxNewTokens = p.maxNewTokens ?? 20;
  const { ids, offset } = promptIds(tokenizer, p.prompt, { bos: sae!.bundle.spec.prependBos, nPositions: model.config.nPositions, reserve: maxNewTokens });
  const options: SteerOptions = {
    maxNewTokens,
    temperature: p.temperature ?? 0,
    ...(p.seed === undefined ? {} : { seed: p.seed }),
    intervention: {
      mode: p.mode ?? 'add',
      latents: p.latents.map((latent) => ({ latent, value: p.strength })),
      ...(p.fromPosition === undefined ? {} : { fromPosition: p.fromPosition + offset }),
    },
  };
  const completion = (out: number[]) => ({ text: tokenizer.decode(out), ids: out, tokens: out.map((id) => tokenizer.displayToken(id)) });
  const promptTokens = ids.slice(offset).map((id) => tokenizer.displayToken(id));
  const view = (r: CausalSteerResult): SteerResult => ({ promptTokens, baseline: completion(r.baseline), steered: completion(r.steered), seed: r.seed });
  return { model, sae: sae!.runner, prompt: ids, options, view };
}

export const steerHandlers: DomainHandlers<'steer'> = {
  'steer.generate': async (params, ctx) => {
    const p = readParams<SteerParams>('steer.generate', params, STEER_FIELDS);
    return withLoaded(ctx, 'steer.generate', p.model, [p.sae], async (loaded): Promise<SteerResult> => {
      const { steerGenerate } = await import('../../causal/steer.js');
      const { model, sae, prompt, options, view } = await steerInputs(p, loaded);
      return view(steerGenerate(model, sae, prompt, options));
    });
  },
  // Answers once the inputs are checked and the first step can run; the model stays held until the stream ends.
  'steer.stream': (params, ctx) => {
    const method = 'steer.stream';
    const p = readParams<SteerParams>(method, params, STEER_FIELDS);
    return new Promise<SteerStreamRef>((started, refused) => {
      withLoaded(ctx, method, p.model, [p.sae], async (loaded) => {
        const { steerSteps } = await import('../../causal/steer.js');
        const { model, sae, prompt, options, view } = await steerInputs(p, loaded);
        const { seed, steps } = steerSteps(model, sae, prompt, options);
        const stream = ctx.streams.open('steer');
        started({ streamId: stream.id });
        const total = options.maxNewTokens;
        let result = view({ baseline: [], steered: [], seed });
        let step = 0;
        const update = (state: SteerStreamState, error: unknown = null): void =>
          stream.emit({ type: 'steer.stream', update: { streamId: stream.id, state, step, total, result, error: error === null ? null : toErrorInfo(error) } });
        try {
          // stream.sent throws once the stream is stopped; leaving the loop frees both KV caches.
          for (const next of steps) {
            step++;
            result = view({ ...next, seed });
            update('running');
            await stream.sent(step);
          }
          update('done');
        } catch (err) {
          update(stream.signal.aborted ? 'cancelled' : 'failed', stream.signal.aborted ? stream.signal.reason : err);
        } finally {
          stream.close();
        }
      }).catch(refused);
    });
  },
  'steer.ack': (params, ctx) => {
    const p = readParams<SteerStreamAck>('steer.ack', params, { streamId: { type: 'string', maxLength: 100 }, received: { type: 'integer', min: 0 } });
    ctx.streams.ack('steer.ack', p.streamId, p.received);
    return { streamId: p.streamId };
  },
  'steer.cancel': (params, ctx) => {
    const p = readParams<SteerStreamRef>('steer.cancel', params, { streamId: { type: 'string', maxLength: 100 } });
    ctx.streams.cancel('steer.cancel', p.streamId);
    return { streamId: p.streamId };
  },
  'steer.sweep': async (params, ctx) => {
    const p = readParams<SteerSweepParams>('steer.sweep', params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      prompt: { type: 'string', maxLength: 20_000 },
      latents: { type: 'integer[]', min: 0, minItems: 1 },
      strengths: { type: 'number[]', min: -1e6, max: 1e6, minItems: 2, maxItems: 9 },
      maxNewTokens: { type: 'integer', optional: true, min: 1, max: 64 },
    });
    return withLoaded(ctx, 'steer.sweep', p.model, [p.sae], async ({ model, tokenizer, saes: [sae] }) => {
      const { promptIds } = await import('../../causal/prompt.js');
      const { promotedTokens, strengthSweep } = await import('../../causal/sweep.js');
      const maxNewTokens = p.maxNewTokens ?? 12;
      const { ids, offset } = promptIds(tokenizer, p.prompt, { bos: sae!.bundle.spec.prependBos, nPositions: model.config.nPositions, reserve: maxNewTokens });
      const tracked = promotedTokens(model, sae!.runner, p.latents[0]!, 3);
      const rows = strengthSweep(model, sae!.runner, ids, { latents: p.latents, strengths: p.strengths, tokens: tracked, maxNewTokens });
      return {
        promptTokens: ids.slice(offset).map((id) => tokenizer.displayToken(id)),
        tracked: tracked.map((id) => ({ id, token: tokenizer.displayToken(id) })),
        rows: rows.map((r) => ({ strength: r.strength, text: tokenizer.decode(r.ids), tokens: r.ids.map((id) => tokenizer.displayToken(id)), probs: r.probs })),
      };
    });
  },
  'steer.listPresets': (params, ctx) => {
    const method = 'steer.listPresets';
    readParams<Record<string, never>>(method, params, {});
    return readPresets(method, presetsFile(ctx, method));
  },
  // Read, change and write happen with no await between them, so two saves cannot interleave.
  'steer.savePreset': (params, ctx) => {
    const method = 'steer.savePreset';
    const preset = readParams<SteerPreset>(method, params, PRESET_FIELDS);
    requireModel(ctx.workspace, method, preset.model);
    requireSae(ctx.workspace, method, preset.sae);
    const file = presetsFile(ctx, method);
    const presets = readPresets(method, file);
    const at = presets.findIndex((p) => p.name === preset.name);
    if (at < 0 && presets.length >= MAX_PRESETS) {
      throw new ApiError('conflict', `${method}: the workspace already keeps ${MAX_PRESETS} presets, the most it holds; delete one or save under a taken name to replace it`);
    }
    if (at < 0) presets.push(preset);
    else presets[at] = preset;
    writePresets(file, presets);
    return presets;
  },
  'steer.deletePreset': (params, ctx) => {
    const method = 'steer.deletePreset';
    const { name } = readParams<SteerPresetName>(method, params, { name: { type: 'string', ...ENTRY_NAME } });
    const file = presetsFile(ctx, method);
    const presets = readPresets(method, file);
    const kept = presets.filter((p) => p.name !== name);
    if (kept.length === presets.length) {
      throw new ApiError('not_found', `${method}: no preset "${name}" in ${file} (have: ${presets.map((p) => p.name).join(', ') || 'none'})`);
    }
    writePresets(file, kept);
    return kept;
  },
};
