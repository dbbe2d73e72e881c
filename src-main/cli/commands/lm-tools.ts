// `sae-explorer lm eval | export | plot | sample`: what a trained language model is measured and shipped
// with. sample continues prompts (greedy or seeded sampling), as docs/demo-model.md shows. eval puts its held-out loss next to unigram and bigram baselines on the same positions, export
// rewrites a GPT-2 folder with F16 weights, plot draws a run's loss curve as SVG. The flags are an
// external contract; keep them stable.
import type { Command } from 'commander';
import { printJson } from '../io.js';
import { compact, parseCount, parseNumber } from './train.js';

interface EvalFlags {
  model: string;
  dataset?: string;
  textField?: string;
  holdoutEvery?: string;
  ctx?: string;
  tokens?: string;
  json?: boolean;
}

interface ExportFlags {
  model: string;
  out: string;
  dtype: string;
  evalTokens?: string;
  withSnapshots?: boolean;
}

interface SampleFlags {
  model: string;
  prompt: string[];
  maxTokens: string;
  temperature: string;
  topK?: string;
  seed?: string;
  samples: string;
  bos: boolean;
  json?: boolean;
}

interface PlotFlags {
  run: string;
  out: string;
  bigram?: string;
  trainLog?: string;
  title?: string;
}

/** --tokens / --eval-tokens: a whole number (4096, 16k) or "all". */
export function parseTokens(flag: string, value: string): number | 'all' {
  if (value.trim() === 'all') return 'all';
  const n = parseCount(flag, value);
  if (n < 1) throw new Error(`${flag} must be at least 1 or "all", got "${value}"`);
  return n;
}

const nats = (x: number): string => x.toFixed(4);

export function registerLmTools(lm: Command): void {
  lm.command('eval')
    .description('held-out cross-entropy of a GPT-2 folder next to unigram and interpolated-bigram baselines on the same positions')
    .requiredOption('--model <dir-or-name>', 'GPT-2 folder (or Hugging Face name) to evaluate')
    .option('--dataset <path-or-name>', 'corpus (default: the run\'s, from the folder\'s lm_training.json, else sotu)')
    .option('--text-field <name>', 'text field of a jsonl/parquet dataset (default: the run\'s, else text)')
    .option('--holdout-every <n>', 'every n-th document is held out, as lm train splits (default: the run\'s, else 20)')
    .option('--ctx <n>', 'predicted positions per window (default: the run\'s, else the model\'s n_positions)')
    .option('--tokens <n|all>', 'held-out positions to evaluate (default: the run\'s --eval-tokens, else 16384)')
    .option('--json', 'print one JSON object: {"model","dataset","holdout_every","ctx","positions","train_tokens","weight_dtypes","model_loss","bigram_loss","unigram_loss","model_minus_bigram","lambda","lambda_loo_loss","settings_from"}')
    .action(async (flags: EvalFlags) => {
      const options = {
        dataset: flags.dataset,
        textField: flags.textField,
        holdoutEvery: flags.holdoutEvery === undefined ? undefined : parseCount('--holdout-every', flags.holdoutEvery),
        ctx: flags.ctx === undefined ? undefined : parseCount('--ctx', flags.ctx),
        tokens: flags.tokens === undefined ? undefined : parseTokens('--tokens', flags.tokens),
      };
      const { loadModelAndTokenizer } = await import('../io.js');
      const { evaluateLm, readEvalData, resolveEvalSettings } = await import('../../lm/eval.js');
      const { lmEvalJson } = await import('../../lm/eval-record.js');
      const { dir, model, tokenizer } = await loadModelAndTokenizer(flags.model);
      try {
        const settings = resolveEvalSettings(dir, model.config.nPositions, options);
        process.stderr.write(`reading ${settings.dataset} (every ${settings.holdoutEvery}th document held out, windows of ${settings.ctx} tokens; settings from ${settings.source})\n`);
        const data = await readEvalData(settings, tokenizer);
        process.stderr.write(`evaluating ${data.heldOut.count * settings.ctx} held-out positions; baselines from ${data.train.count * settings.ctx} training tokens\n`);
        const r = await evaluateLm(model, dir, settings, data);
        if (flags.json) {
          printJson({ model: dir, ...lmEvalJson(r) });
          return;
        }
        const dtypes = r.weightDtypes.length > 0 ? `${r.weightDtypes.join('+')} weights, ` : '';
        process.stdout.write(
          `held-out cross-entropy on ${r.positions} predicted positions of ${settings.dataset}'s held-out documents (every ${settings.holdoutEvery}th; windows of ${settings.ctx}), nats/token:\n` +
            `  model    ${nats(r.modelLoss)}  ${dir} (${dtypes}full ${model.config.vocabSize}-way softmax)\n` +
            `  bigram   ${nats(r.bigramLoss)}  Jelinek–Mercer, λ = ${r.lambda.toFixed(4)} by leave-one-out on the training tokens (loss there ${nats(r.lambdaLeaveOneOutLoss)})\n` +
            `  unigram  ${nats(r.unigramLoss)}  add-one\n` +
            `  baselines counted on ${compact(r.trainTokens)} training tokens\n` +
            `model − bigram: ${(r.modelLoss - r.bigramLoss >= 0 ? '+' : '')}${nats(r.modelLoss - r.bigramLoss)} nats/token\n`,
        );
      } finally {
        model.dispose();
      }
    });

  lm.command('export')
    .description('rewrite a GPT-2 folder with its weights stored as F16 (or F32), keeping config, tokenizer and run record')
    .requiredOption('--model <dir-or-name>', 'GPT-2 folder (or Hugging Face name) to convert')
    .requiredOption('--out <dir>', 'new folder to write (must not exist)')
    .option('--dtype <f16|f32>', 'dtype of the stored weights', 'f16')
    .option('--eval-tokens <n|all>', 'also measure both folders\' held-out loss on this many positions (split and windows as lm eval picks them)')
    .option('--with-snapshots', 'also convert the model\'s snapshots (lm train --keep-at, snapshots/step-N/) to the same dtype, into <out>/snapshots/ (how a shipped model carries them for the demo\'s checkpoints set)')
    .action(async (flags: ExportFlags) => {
      const dtype = flags.dtype.toUpperCase();
      if (dtype !== 'F16' && dtype !== 'F32') throw new Error(`--dtype "${flags.dtype}" is not supported; expected f16 or f32`);
      const evalTokens = flags.evalTokens === undefined ? undefined : parseTokens('--eval-tokens', flags.evalTokens);
      const { initEngine } = await import('../../engine/backend.js');
      await initEngine();
      const { resolveModel } = await import('../io.js');
      const { convertGpt2Folder } = await import('../../lm/export.js');
      const source = await resolveModel(flags.model);
      const { bytes, snapshots } = convertGpt2Folder(source, flags.out, dtype, { withSnapshots: flags.withSnapshots === true });
      const kept = snapshots.length > 0 ? `, snapshots ${snapshots.join(', ')}` : flags.withSnapshots ? ', no snapshots in the source' : '';
      process.stdout.write(`wrote ${flags.out} (${dtype} model.safetensors, ${(bytes / 1e6).toFixed(1)} MB${kept})\n`);
      if (evalTokens === undefined) return;
      const { loadGpt2, readGpt2Config } = await import('../../model/load.js');
      const { loadTokenizer } = await import('../../tokenizer/load.js');
      const { modelHeldOutLoss, readEvalData, resolveEvalSettings } = await import('../../lm/eval.js');
      const settings = resolveEvalSettings(source, readGpt2Config(source).nPositions, { tokens: evalTokens });
      // Only the held-out windows are needed: no baselines here.
      const { heldOut } = await readEvalData({ ...settings, trainWindows: 1 }, await loadTokenizer(source));
      process.stderr.write(`measuring the held-out loss of both folders on ${heldOut.count * settings.ctx} positions of ${settings.dataset}\n`);
      const losses: number[] = [];
      for (const dir of [source, flags.out]) {
        const model = await loadGpt2(dir);
        try {
          losses.push(await modelHeldOutLoss(model, heldOut));
        } finally {
          model.dispose();
        }
      }
      const change = losses[1] - losses[0];
      process.stdout.write(
        `held-out loss on ${heldOut.count * settings.ctx} positions of ${settings.dataset} (settings from ${settings.source}): source ${nats(losses[0])}, ${dtype} ${nats(losses[1])} (change ${change >= 0 ? '+' : ''}${change.toExponential(2)} nats/token)\n`,
      );
    });

  lm.command('plot')
    .description('draw a run\'s loss curve (held-out and training loss against tokens, unigram/bigram lines) as SVG')
    .requiredOption('--run <dir-or-file>', 'the lm train output folder, or its lm_training.json')
    .requiredOption('--out <file.svg>', 'SVG file to write')
    .option('--bigram <nats>', 'the bigram\'s held-out loss (from lm eval) to draw as a line')
    .option('--train-log <file>', 'take the training loss from the progress lines lm train printed (for a run whose lm_training.json predates its training-loss history)')
    .option('--title <text>', 'title above the chart')
    .action(async (flags: PlotFlags) => {
      const bigramLoss = flags.bigram === undefined ? undefined : Number(flags.bigram);
      if (bigramLoss !== undefined && !(Number.isFinite(bigramLoss) && bigramLoss > 0)) throw new Error(`--bigram must be a positive number of nats/token, got "${flags.bigram}"`);
      if (!flags.out.endsWith('.svg')) throw new Error(`--out ${flags.out}: the chart is SVG; name the file *.svg`);
      const { readFileSync, statSync } = await import('node:fs');
      const path = await import('node:path');
      const { writeFileAtomic } = await import('../../io/atomic.js');
      const { lossCurveSvg, readLossCurve, trainLossFromLog } = await import('../../lm/plot.js');
      const { LM_TRAINING_FILE } = await import('../../lm/trainer.js');
      let file = flags.run;
      try {
        if (statSync(file).isDirectory()) file = path.join(file, LM_TRAINING_FILE);
      } catch {
        throw new Error(`--run ${flags.run}: not found; pass an lm train output folder or its ${LM_TRAINING_FILE}`);
      }
      const curve = readLossCurve(file);
      if (flags.trainLog !== undefined) {
        if (curve.train.length > 0) throw new Error(`--train-log: ${file} already records the training loss; drop --train-log`);
        let log: string;
        try {
          log = readFileSync(flags.trainLog, 'utf8');
        } catch (err) {
          throw new Error(`--train-log ${flags.trainLog}: cannot read it (${(err as Error).message})`);
        }
        const [first] = curve.heldOut;
        curve.train = trainLossFromLog(log, first.tokens / first.step, flags.trainLog);
      }
      writeFileAtomic(flags.out, lossCurveSvg(curve, { bigramLoss, title: flags.title }));
      process.stdout.write(`wrote ${flags.out}: ${curve.heldOut.length} held-out points${curve.train.length > 0 ? `, ${curve.train.length} training points` : ' (the run recorded no training-loss history)'}\n`);
    });

  lm.command('sample')
    .description('continue prompts with a GPT-2 folder: greedy (--temperature 0) or sampled with a seed, KV-cached')
    .requiredOption('--model <dir-or-name>', 'GPT-2 folder (or Hugging Face name)')
    .requiredOption('--prompt <text...>', 'one or more prompts, each continued separately')
    .option('--max-tokens <n>', 'new tokens per continuation', '40')
    .option('--temperature <t>', 'softmax temperature; 0 = greedy', '0')
    .option('--top-k <k>', 'sample among the k most likely tokens only')
    .option('--seed <n>', 'seed of the first sample; sample i uses seed + i (default 0)')
    .option('--samples <n>', 'continuations per prompt (sampling only)', '1')
    .option('--no-bos', 'do not start the prompt with <|endoftext|> (lm train trains on windows that start with it)')
    .option('--json', 'print one JSON line per continuation: {"prompt","seed","temperature","top_k","continuation","ids"}')
    .action(async (flags: SampleFlags) => {
      const maxNewTokens = parseCount('--max-tokens', flags.maxTokens);
      const temperature = parseNumber('--temperature', flags.temperature);
      const topK = flags.topK === undefined ? undefined : parseCount('--top-k', flags.topK);
      const seed = flags.seed === undefined ? 0 : parseCount('--seed', flags.seed);
      const samples = parseCount('--samples', flags.samples);
      if (maxNewTokens < 1) throw new Error(`--max-tokens must be at least 1, got "${flags.maxTokens}"`);
      if (samples < 1) throw new Error(`--samples must be at least 1, got "${flags.samples}"`);
      if (temperature === 0 && samples > 1) throw new Error('--samples > 1 needs --temperature > 0: greedy decoding gives the same text every time');
      const { loadModelAndTokenizer } = await import('../io.js');
      const { sampleContinuations } = await import('../../lm/sample.js');
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      try {
        for await (const { prompt, seed: used, ids, text } of sampleContinuations(model, tokenizer, flags.prompt, { maxNewTokens, temperature, topK, seed, samples, bos: flags.bos })) {
          if (flags.json) printJson({ prompt, seed: used, temperature, top_k: topK ?? null, continuation: text, ids });
          // On a terminal the continuation is bold; piped, it is plain text after the prompt.
          else process.stdout.write(process.stdout.isTTY ? `${prompt}\u001b[1m${text}\u001b[0m\n` : `${prompt}${text}\n`);
        }
      } finally {
        model.dispose();
      }
    });
}
