// `sae-explorer train`: trains a family of SAEs (one per --latents size) on one GPT-2 hook and writes
// a SAELens folder per size under --out. The flags are an external contract; keep them stable.
// Progress goes to stderr (a bar on a terminal, a line per update otherwise) so --json stdout stays
// clean. Ctrl-C saves a checkpoint after the current step; a second Ctrl-C exits at once.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { SaeRunResult, TrainEvent } from '../../train/events.js';

interface TrainFlags {
  model: string;
  dataset: string;
  hook: string;
  latents?: string;
  expansion?: string;
  k: string;
  tokens: string;
  out: string;
  arch: string;
  batch?: string;
  lr?: string;
  lrWarmup?: string;
  gradClip?: string;
  resume?: boolean;
  json?: boolean;
  context?: string;
  seed?: string;
  checkpointEvery?: string;
  cacheActivations?: string;
  cacheDtype?: string;
  deadWindow?: string;
  auxK?: string;
  multiTopk?: boolean;
  l0Coefficient?: string;
  jumpreluThreshold?: string;
  l1Coefficient?: string;
  sharedInit?: boolean;
  evalTokens?: string;
  textField?: string;
  normalize?: string;
  logEvery?: string;
  shards?: string;
  modelThreads?: string;
  checkpoints?: string;
}

const SUFFIXES: Record<string, number> = { k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9, b: 1e9, B: 1e9 };

/** "4096", "1e6", "10M", "2.5k" → an integer; throws naming the flag otherwise. */
export function parseCount(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmMgGbB]?)$/.exec(value.trim());
  const n = match ? Number(match[1]) * (match[2] ? SUFFIXES[match[2]] : 1) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number such as 4096, 1e6 or 10M, got "${value}"`);
  return n;
}

export function parseNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number, got "${value}"`);
  return n;
}

function parseList(flag: string, value: string, parse: (flag: string, v: string) => number): number[] {
  return value.split(',').map((v) => parse(flag, v));
}

export const TRAIN_JSON_KEYS = ['d_sae', 'k', 'train_fvu', 'eval_fvu', 'train_l0', 'eval_l0', 'dead_frac', 'delta_lm_loss', 'ce_loss_score', 'tokens', 'tokens_per_s'] as const;

/** One size's result as `train --json` prints it; eval fields are null when the run had no eval tokens. */
export function trainJsonLine(r: SaeRunResult): Record<(typeof TRAIN_JSON_KEYS)[number], number | null> {
  return {
    d_sae: r.dSae,
    k: r.k,
    train_fvu: r.trainFvu,
    eval_fvu: r.evalFvu,
    train_l0: r.trainL0,
    eval_l0: r.evalL0,
    dead_frac: r.deadFrac,
    delta_lm_loss: r.deltaLmLoss,
    ce_loss_score: r.ceLossScore,
    tokens: r.tokens,
    tokens_per_s: r.tokensPerS,
  };
}

/** Flags → the trainer's run config (validated there; unknown values are its errors). */
export function runConfigFromFlags(flags: TrainFlags): Record<string, unknown> {
  const opt = <T>(value: string | undefined, parse: (v: string) => T): T | undefined => (value === undefined ? undefined : parse(value));
  return {
    model: flags.model,
    dataset: flags.dataset,
    hook: flags.hook,
    latents: opt(flags.latents, (v) => parseList('--latents', v, parseCount)),
    expansion: opt(flags.expansion, (v) => parseList('--expansion', v, parseNumber)),
    k: parseCount('--k', flags.k),
    tokens: parseCount('--tokens', flags.tokens),
    out: flags.out,
    arch: flags.arch,
    batch: opt(flags.batch, (v) => parseCount('--batch', v)),
    lr: opt(flags.lr, (v) => parseNumber('--lr', v)),
    lrWarmup: opt(flags.lrWarmup, (v) => parseCount('--lr-warmup', v)),
    gradClip: opt(flags.gradClip, (v) => parseNumber('--grad-clip', v)),
    resume: flags.resume ?? false,
    context: opt(flags.context, (v) => parseCount('--context', v)),
    seed: opt(flags.seed, (v) => parseCount('--seed', v)),
    checkpointEvery: opt(flags.checkpointEvery, (v) => parseCount('--checkpoint-every', v)),
    cacheActivations: flags.cacheActivations,
    cacheDtype: flags.cacheDtype,
    deadWindow: opt(flags.deadWindow, (v) => parseCount('--dead-window', v)),
    auxK: opt(flags.auxK, (v) => parseCount('--aux-k', v)),
    multiTopK: flags.multiTopk ?? false,
    l0Coefficient: opt(flags.l0Coefficient, (v) => parseNumber('--l0-coefficient', v)),
    jumpReluThreshold: opt(flags.jumpreluThreshold, (v) => parseNumber('--jumprelu-threshold', v)),
    l1Coefficient: opt(flags.l1Coefficient, (v) => parseNumber('--l1-coefficient', v)),
    sharedInit: flags.sharedInit ?? false,
    evalTokens: opt(flags.evalTokens, (v) => parseCount('--eval-tokens', v)),
    textField: flags.textField,
    normalize: flags.normalize,
    logEvery: opt(flags.logEvery, (v) => parseCount('--log-every', v)),
    shards: opt(flags.shards, (v) => parseCount('--shards', v)),
  };
}

export function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

/** Training events on stderr: a bar on a terminal, one line per progress event otherwise. */
class TrainProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.tty = Boolean(stream.isTTY);
  }

  handle(event: TrainEvent): void {
    if (event.type === 'log') this.line(`${event.level === 'warn' ? 'warning: ' : ''}${event.message}`);
    if (event.type !== 'progress') return;
    const metrics = event.perSae.map((s) => `${s.dSae}: train FVU ${s.trainFvu.toFixed(3)} l0 ${s.l0.toFixed(1)} dead ${(100 * s.deadFraction).toFixed(1)}%`).join(' | ');
    const payload = { tok: compact(event.tokens), totalTok: compact(event.totalTokens), rate: compact(event.tokensPerSecond), eta: seconds(event.etaSeconds), metrics };
    if (!this.tty) {
      this.stream.write(`step ${event.step}/${event.totalSteps} ${payload.tok}/${payload.totalTok} tokens, ${payload.rate} tokens/s, ETA ${payload.eta} | ${metrics}\n`);
      return;
    }
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        { format: 'train [{bar}] {tok}/{totalTok} tok | {rate} tok/s | ETA {eta} | {metrics}', stream: this.stream, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(event.totalSteps, event.step, payload);
    }
    this.bar.update(event.step, payload);
  }

  private line(text: string): void {
    if (this.bar) this.bar.stop();
    this.bar = undefined;
    this.stream.write(`${text}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train top-k (or batchtopk, matryoshka, jumprelu, gated, relu) SAEs of one or more sizes on a GPT-2 hook, all sizes from one pass of the model')
    .requiredOption('--model <dir-or-name>', 'GPT-2 folder or Hugging Face name (e.g. gpt2)')
    .option('--dataset <path-or-name>', 'corpus: .txt/.jsonl/.parquet file or folder, Hub dataset, or "sotu"', 'sotu')
    .requiredOption('--hook <name>', 'TransformerLens hook, e.g. blocks.8.hook_resid_post')
    .option('--latents <n1,n2,...>', 'dictionary sizes, e.g. 1024,4096,16384')
    .option('--expansion <e1,e2,...>', 'dictionary sizes as multiples of the hook width, e.g. 4,16,64')
    .option('--k <k>', 'active latents per token', '32')
    .requiredOption('--tokens <n>', 'training tokens (e.g. 10M)')
    .requiredOption('--out <dir>', 'output folder: <dir>/<d_sae>/ per size, family.json, checkpoint')
    .option('--arch <arch>', 'topk, relu (SAELens "standard"), batchtopk, jumprelu, gated, or matryoshka (Matryoshka BatchTopK: one SAE of the largest --latents size, the smaller sizes its nested prefixes)', 'topk')
    .option('--l0-coefficient <λ>', 'jumprelu: L0 penalty per active latent against the normalised MSE (default 1e-3)')
    .option('--jumprelu-threshold <θ>', 'jumprelu: initial threshold in units of the inputs\' RMS distance from their mean (default 0.001, the paper\'s, for long runs)')
    .option('--l1-coefficient <λ>', 'relu and gated: L1 penalty (default 1)')
    .option('--batch <n>', 'tokens per step (default 4096)')
    .option('--lr <lr>', 'learning rate (default 2e-4 / sqrt(d_sae / 2^14) per size)')
    .option('--lr-warmup <steps>', 'steps of linear learning-rate warm-up, 0 = none (default min(1000, steps/10))')
    .option('--grad-clip <norm>', 'largest gradient norm per step, 0 = no clipping (default 1.0)')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--json', `print one JSON line per size at the end: {${TRAIN_JSON_KEYS.map((k) => `"${k}"`).join(',')}} (train_fvu on normalised inputs, eval_fvu held out in raw space, null without evals)`)
    .option('--context <n>', 'tokens per window including BOS (default 64)')
    .option('--seed <n>', 'seed of data order and initialisation (default 0)')
    .option('--checkpoint-every <steps>', 'steps between checkpoints, 0 = only at the end and on Ctrl-C (default 100)')
    .option('--cache-activations <dir>', 'reuse or build an on-disk activation cache in this folder')
    .option('--cache-dtype <f16|f32>', 'precision of cached activations (default f16)')
    .option('--dead-window <tokens>', 'tokens without firing after which a latent is dead (default min(10M, tokens/4))')
    .option('--aux-k <n>', 'dead latents per token in the AuxK loss, 0 = off (default d_in/2)')
    .option('--multi-topk', 'add the Multi-TopK loss L(4k)/8')
    .option('--shared-init', 'start every size from the same random stream (default: each size its own, so sizes are compared from unrelated starts)')
    .option('--eval-tokens <n>', 'held-out tokens for the final evals, 0 = none (default 16384)')
    .option('--text-field <name>', 'text field of a jsonl/parquet dataset (default text)')
    .option('--normalize <kind>', 'input normalisation: layer_norm, expected_average_only_in, constant_norm_rescale, none (default layer_norm)')
    .option('--log-every <steps>', 'steps between progress updates (default 10)')
    .option('--shards <n>', 'worker threads per SAE, latents split across them (default 1)')
    .option('--model-threads <n>', 'worker threads the GPT-2 forward runs on, each with its own wasm instance and copy of the weights; 1 = this thread (default: every core, at most 4, on wasm; 1 on TensorFlow)')
    .option(
      '--checkpoints <dirs>',
      'earlier checkpoints of --model (e.g. lm train --keep-at snapshots), comma-separated, earliest first: trains one SAE of the one --latents size on each and on --model, on the same tokens, into <out>/<checkpoint folder name>/ and <out>/final/, with a family.json of kind "checkpoints"; --resume keeps finished ones',
    )
    .action(async (flags: TrainFlags) => {
      const config = runConfigFromFlags(flags);
      const { initEngine } = await import('../../engine/backend.js');
      await initEngine();
      const { modelThreadsFlag } = await import('../io.js');
      config.modelThreads = (await modelThreadsFlag(flags.modelThreads, 'train')).threads;
      const { trainFamily } = await import('../../train/trainer.js');
      const { cliProgress: downloadProgress } = await import('../../hub/progress.js');
      const view = new TrainProgressView(process.stderr);
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\ninterrupted: saving a checkpoint after this step (Ctrl-C again to quit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const context = { signal: controller.signal, onEvent: (e: TrainEvent) => view.handle(e), onModelDownload: downloadProgress(`model ${flags.model}`) };
        let result;
        if (flags.checkpoints !== undefined) {
          const { checkpointMembers, trainCheckpointSet } = await import('../../train/checkpoint-set.js');
          const earlier = flags.checkpoints.split(',').map((s) => s.trim()).filter(Boolean);
          result = await trainCheckpointSet(config, checkpointMembers(earlier, flags.model), context);
        } else {
          result = await trainFamily(config, context);
        }
        view.stop();
        if (result.status === 'cancelled') throw new Error(`cancelled at step ${result.step}; the checkpoint in ${flags.out} continues with --resume`);
        for (const r of result.results) {
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(trainJsonLine(r))}\n`);
          } else {
            const fixed = (v: number | null, digits: number) => (v === null ? 'n/a' : v.toFixed(digits));
            const evalPart = r.evalFvu === null ? 'no eval (no held-out tokens)' : `eval FVU ${fixed(r.evalFvu, 4)} (raw), eval l0 ${fixed(r.evalL0, 1)}, delta LM loss ${fixed(r.deltaLmLoss, 4)}, CE-loss score ${fixed(r.ceLossScore, 4)}`;
            process.stdout.write(
              `d_sae ${r.dSae}: train FVU ${fixed(r.trainFvu, 4)} (normalised), train l0 ${fixed(r.trainL0, 1)}, ${evalPart}, dead ${(100 * r.deadFrac).toFixed(1)}%, ` +
                `${r.tokens} tokens at ${r.tokensPerS.toFixed(0)} tokens/s → ${r.dir}\n`,
            );
          }
        }
      } finally {
        view.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
