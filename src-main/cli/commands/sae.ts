// `sae-explorer sae …`: bring SAEs in from other tools (SAELens, sparsify, OpenAI, the Hub), send ours
// out to them, describe one, and evaluate one on a model. Heavy modules load inside the actions.
import type { Command } from 'commander';
import type { ModelShape } from '../../sae/formats/validate.js';
import type { SaeBundle } from '../../sae/types.js';
import { parseCommaList } from '../io.js';
import { registerCompare } from './sae-compare.js';

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return Number(value);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** What one line or one JSON object says about an SAE. */
function describe(bundle: SaeBundle): Record<string, unknown> {
  const { spec } = bundle;
  return {
    architecture: spec.architecture,
    d_in: spec.dIn,
    d_sae: spec.dSae,
    k: spec.k ?? null,
    hook_name: spec.hookName,
    model_name: spec.modelName,
    normalize_activations: spec.normalizeActivations,
    apply_b_dec_to_input: spec.applyBDecToInput,
    context_size: spec.contextSize,
    has_sparsity: bundle.logSparsity !== undefined,
    // Matryoshka BatchTopK: every nested size of the dictionary; d_sae is one of them.
    matryoshka_prefixes: spec.matryoshkaPrefixes ?? null,
  };
}

function summaryLine(bundle: SaeBundle): string {
  const { spec } = bundle;
  const k = spec.k !== undefined ? `, k ${spec.k}` : '';
  const norm = spec.normalizeActivations !== 'none' ? `, ${spec.normalizeActivations} input` : '';
  const nested = spec.matryoshkaPrefixes ? ` (Matryoshka, nested sizes ${spec.matryoshkaPrefixes.join(', ')})` : '';
  return `${spec.architecture}${nested} SAE, d_in ${spec.dIn}, d_sae ${spec.dSae}${k}${norm}, ${spec.modelName} ${spec.hookName}`;
}

/** The model's shape for validation: a local folder's config.json, or a Hub model resolved into the cache. */
async function modelShape(model: string | undefined): Promise<ModelShape | undefined> {
  if (!model) return undefined;
  const { resolveModelDir } = await import('../../hub/resolve.js');
  const { cliProgress } = await import('../../hub/progress.js');
  const { readGpt2Config } = await import('../../model/load.js');
  return readGpt2Config(await resolveModelDir(model, { onProgress: cliProgress(`model ${model}`) }));
}

interface ImportFlags {
  out: string;
  release?: string;
  layers?: string;
  model?: string;
  hook?: string;
  k?: string;
  hfRepo?: string;
  subfolder?: string;
  json?: boolean;
}

interface ExportFlags {
  sae: string;
  format: string;
  out: string;
  json?: boolean;
}

interface EvalFlags {
  sae: string;
  model: string;
  dataset: string;
  tokens?: string;
  batch?: string;
  textField?: string;
  modelThreads?: string;
  save?: boolean;
  json?: boolean;
}

const EXPORT_FORMATS = ['saelens', 'sparsify'];

/** `--layers 0,8`: block numbers, each a non-negative integer. */
function parseLayers(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  return parseCommaList(value, '--layers').map((item) => {
    if (!/^\d+$/.test(item)) throw new Error(`--layers "${value}": "${item}" is not a block number; expected e.g. 0,8`);
    return Number(item);
  });
}

/** `sae import --release NAME`: the release's families under --out, with its caveats on stderr. */
async function importReleaseCommand(flags: ImportFlags): Promise<void> {
  const { importRelease } = await import('../../sae/releases/import.js');
  const { cliProgress } = await import('../../hub/progress.js');
  const imported = await importRelease(flags.release!, {
    layers: parseLayers(flags.layers),
    out: flags.out,
    model: await modelShape(flags.model),
    onProgress: cliProgress(`release ${flags.release}`),
  });
  const { release } = imported;
  for (const caveat of release.caveats) process.stderr.write(`note: ${caveat}\n`);
  if (flags.json) {
    printJson({
      release: release.name,
      repo: release.repoId,
      commit: imported.commit,
      architecture: release.architecture,
      k: release.k ?? null,
      normalize_activations: release.normalizeActivations,
      centring_folded: release.centredResidual,
      caveats: release.caveats,
      families: imported.families.map((f) => ({ id: f.id, path: f.path, hook_name: f.hookName, sizes: f.sizes })),
    });
    return;
  }
  for (const f of imported.families) {
    process.stdout.write(`imported ${release.name} ${f.hookName} (${release.architecture}, ${release.normalizeActivations} input${release.centredResidual ? ', centring folded' : ''}) sizes ${f.sizes.join(', ')} -> ${f.path}\n`);
  }
}

export function register(program: Command): void {
  const sae = program.command('sae').description('import, export, inspect and evaluate sparse autoencoders');

  sae
    .command('import')
    .description('read an SAE (SAELens folder, sparsify folder, OpenAI .safetensors, or Hub org/repo/subfolder), check it, and write it as a SAELens folder; or download a public GPT-2 small release by name (--release) as families')
    .argument('[src]', 'local folder or file, or a Hugging Face repo id with subfolder (org/repo/subfolder)')
    .requiredOption('--out <dir>', 'SAELens folder to write (replaced atomically); with --release, the folder that receives one family folder per hook site (e.g. a workspace\'s saes/)')
    .option('--release <name>', 'a release of SAELens\'s registry, e.g. gpt2-small-res-jb-feature-splitting (an unknown name lists them all)')
    .option('--layers <list>', 'with --release: blocks to import, comma-separated (default all)')
    .option('--model <dir-or-name>', 'check d_in and the hook name against this GPT-2 (folder or Hub name)')
    .option('--hook <name>', 'TransformerLens hook name to use instead of the file\'s (unmapped sparsify hookpoints, raw OpenAI files)')
    .option('--k <k>', 'latents per token for a raw OpenAI file (default 32)')
    .option('--hf-repo <repo>', 'Hugging Face repo id (instead of SRC)')
    .option('--subfolder <path>', 'folder inside --hf-repo holding the SAE')
    .option('--json', 'print one JSON object instead of a summary line')
    .action(async (src: string | undefined, flags: ImportFlags) => {
      if (flags.release !== undefined) {
        if (src || flags.hfRepo) throw new Error('sae import takes either SRC / --hf-repo or --release, not both');
        const single = (['hook', 'k', 'subfolder'] as const).filter((flag) => flags[flag] !== undefined);
        if (single.length > 0) throw new Error(`${single.map((f) => `--${f}`).join(', ')} ${single.length === 1 ? 'applies' : 'apply'} to a single SAE import; a --release says each SAE's hook and k itself`);
        await importReleaseCommand(flags);
        return;
      }
      if (flags.layers !== undefined) throw new Error('--layers selects blocks of a --release; a single SAE import has none');
      if (!src && !flags.hfRepo) throw new Error('sae import needs SRC (a folder, file or org/repo/subfolder), --hf-repo or --release');
      const { importSaeDetailed } = await import('../../sae/formats/detect.js');
      const { saveSaeLens } = await import('../../sae/formats/saelens.js');
      const { cliProgress } = await import('../../hub/progress.js');
      const imported = await importSaeDetailed(src ?? '', {
        model: await modelShape(flags.model),
        hook: flags.hook,
        k: positiveInt('--k', flags.k),
        hfRepo: flags.hfRepo,
        subfolder: flags.subfolder,
        onProgress: cliProgress('sae'),
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      });
      saveSaeLens(flags.out, imported.bundle);
      if (flags.json) printJson({ format: imported.format, source: imported.path, out: flags.out, ...describe(imported.bundle) });
      else process.stdout.write(`imported ${imported.format} ${summaryLine(imported.bundle)} -> ${flags.out}\n`);
    });

  sae
    .command('export')
    .description('write an SAE in another tool\'s layout: saelens (a folder) or sparsify (OUT/<hookpoint>/, loadable with SparseCoder.load_many)')
    .requiredOption('--sae <dir>', 'SAE folder to read (any importable format)')
    .requiredOption('--format <name>', `target layout: ${EXPORT_FORMATS.join(' or ')}`)
    .requiredOption('--out <dir>', 'where to write')
    .option('--json', 'print one JSON object instead of a summary line')
    .action(async (flags: ExportFlags) => {
      if (!EXPORT_FORMATS.includes(flags.format)) throw new Error(`--format must be ${EXPORT_FORMATS.join(' or ')}, got "${flags.format}"`);
      const path = await import('node:path');
      const { importSae } = await import('../../sae/formats/detect.js');
      const bundle = await importSae(flags.sae);
      let written = flags.out;
      if (flags.format === 'saelens') {
        const { saveSaeLens } = await import('../../sae/formats/saelens.js');
        saveSaeLens(flags.out, bundle);
      } else {
        const { hookpointOfHookName, saveSparsify } = await import('../../sae/formats/sparsify.js');
        written = path.join(flags.out, hookpointOfHookName(bundle.spec.hookName));
        saveSparsify(written, bundle);
      }
      if (flags.json) printJson({ format: flags.format, out: written, ...describe(bundle) });
      else process.stdout.write(`exported ${summaryLine(bundle)} as ${flags.format} -> ${written}\n`);
    });

  sae
    .command('info')
    .description('describe an SAE folder: format, architecture, sizes, hook, normalisation, and its eval.json if present')
    .requiredOption('--sae <dir>', 'SAE folder or file')
    .option('--json', 'print one JSON object')
    .action(async (flags: { sae: string; json?: boolean }) => {
      const { existsSync, readFileSync } = await import('node:fs');
      const path = await import('node:path');
      const { importSaeDetailed } = await import('../../sae/formats/detect.js');
      const { bundle, format, path: where } = await importSaeDetailed(flags.sae);
      const evalFile = path.join(where, 'eval.json');
      const evaluation = existsSync(evalFile) ? (JSON.parse(readFileSync(evalFile, 'utf8')) as Record<string, unknown>) : null;
      if (flags.json) {
        printJson({ format, path: where, ...describe(bundle), eval: evaluation });
        return;
      }
      process.stdout.write(`${format} ${summaryLine(bundle)}\n`);
      if (evaluation) process.stdout.write(`eval: eval_fvu ${evaluation.eval_fvu}, l0 ${evaluation.l0}, never_fired_frac ${evaluation.never_fired_frac}, delta_lm_loss ${evaluation.delta_lm_loss}, ce_loss_score ${evaluation.ce_loss_score}, kl_div ${evaluation.kl_div}\n`);
    });

  sae
    .command('eval')
    .description('evaluate an SAE on held-out text: FVU in raw space, L0, never-fired fraction, and the LM loss, CE-loss score and KL with the reconstruction spliced in')
    .requiredOption('--sae <dir>', 'SAE folder or file (any importable format)')
    .requiredOption('--model <dir-or-name>', 'GPT-2 folder or Hub name')
    .requiredOption('--dataset <path-or-name>', 'corpus: a file, folder, Hub dataset or "sotu" (its held-out split is used)')
    .option('--tokens <n>', 'activation tokens to evaluate (default 8192)')
    .option('--batch <n>', 'windows per forward pass (default 8)')
    .option('--text-field <name>', 'text field of a jsonl/parquet dataset (default text)')
    .option('--model-threads <n>', 'worker threads that evaluate batches, each with its own wasm instance and copy of the model; 1 = this thread (default: every core, at most 4, on wasm; 1 on TensorFlow)')
    .option('--save', 'also write eval.json into the SAE folder')
    .option('--json', 'print {"d_sae","k","eval_fvu","l0","never_fired_frac","delta_lm_loss","ce_loss_score","kl_div","tokens","tokens_per_s"}')
    .action(async (flags: EvalFlags) => {
      const tokens = positiveInt('--tokens', flags.tokens) ?? 8192;
      const batch = positiveInt('--batch', flags.batch) ?? 8;
      const { initEngine } = await import('../../engine/backend.js');
      await initEngine();
      const { resolveModelDir } = await import('../../hub/resolve.js');
      const { cliProgress } = await import('../../hub/progress.js');
      const { loadGpt2 } = await import('../../model/load.js');
      const { importSaeDetailed } = await import('../../sae/formats/detect.js');
      const { evaluateSae, writeEvalJson } = await import('../../train/eval.js');
      const { modelThreadsFlag } = await import('../io.js');
      const { withModelPool } = await import('../../model/pool.js');
      const { threads, warning } = await modelThreadsFlag(flags.modelThreads, 'sae eval');
      if (warning) process.stderr.write(`sae eval: ${warning}\n`);
      const modelDir = await resolveModelDir(flags.model, { onProgress: cliProgress(`model ${flags.model}`) });
      const model = await loadGpt2(modelDir);
      try {
        const { loadTokenizer } = await import('../../tokenizer/load.js');
        // The model's own tokenizer: a model trained with a fitted BPE reads the corpus with it.
        const tokenizer = await loadTokenizer(modelDir);
        const { bundle, path: where } = await importSaeDetailed(flags.sae, { model: model.config });
        const started = performance.now();
        const result = await withModelPool(model, threads, (pool) => evaluateSae({ model, pool, sae: bundle, dataset: flags.dataset, textField: flags.textField, tokenizer, tokens, batch }));
        const seconds = (performance.now() - started) / 1000;
        if (flags.save) writeEvalJson(where, result);
        const tokensPerS = result.tokens / seconds;
        if (flags.json) {
          printJson({ d_sae: result.dSae, k: result.k, eval_fvu: result.evalFvu, l0: result.l0, never_fired_frac: result.neverFiredFrac, delta_lm_loss: result.deltaLmLoss, ce_loss_score: result.ceLossScore, kl_div: result.klDiv, tokens: result.tokens, tokens_per_s: tokensPerS });
        } else {
          process.stdout.write(
            `${summaryLine(bundle)}\n` +
              `eval FVU ${result.evalFvu.toFixed(4)} in raw space (explained variance ${result.explainedVariance.toFixed(4)}), l0 ${result.l0.toFixed(2)}, never fired in these tokens ${(100 * result.neverFiredFrac).toFixed(1)}%\n` +
              `CE clean ${result.ceClean.toFixed(4)}, with SAE ${result.ceSae.toFixed(4)} (delta ${result.deltaLmLoss.toFixed(4)}), zero-ablated ${result.ceZeroAblation.toFixed(4)}, CE-loss score ${result.ceLossScore.toFixed(4)} (SAELens; ${result.ceLossScoreKeepBos.toFixed(4)} with BOS kept), KL ${result.klDiv.toFixed(4)}\n` +
              `${result.tokens} tokens in ${seconds.toFixed(1)} s (${tokensPerS.toFixed(0)} tokens/s)\n`,
          );
        }
      } finally {
        model.dispose();
      }
    });

  registerCompare(sae);
}
