// `sae-explorer lm train`: pretrains a GPT-2 from scratch (or continues one) on a corpus and writes a
// standard Hugging Face GPT-2 folder to --out. `lm tokenizer` fits a small byte-level BPE on the
// corpus's training documents for `lm train --tokenizer`. The flags are an external contract; keep them stable.
// Progress goes to stderr, one line per update, so --json stdout stays clean. Ctrl-C saves a
// checkpoint after the current step; a second Ctrl-C exits at once.
import type { Command } from 'commander';
import type { LmTrainEvent } from '../../lm/events.js';
import { printJson, parseCommaList } from '../io.js';
import { registerLmTools } from './lm-tools.js';
import { compact, parseCount, seconds } from './train.js';

interface LmTokenizerFlags {
  dataset: string;
  vocabSize: string;
  out: string;
  holdoutEvery: string;
  textField: string;
  json?: boolean;
}

interface LmTrainFlags {
  dataset: string;
  out: string;
  from?: string;
  tokenizer?: string;
  layers?: string;
  dModel?: string;
  heads?: string;
  ctx?: string;
  tokens: string;
  batch?: string;
  lr?: string;
  minLrRatio?: string;
  warmupSteps?: string;
  weightDecay?: string;
  gradClip?: string;
  vocab?: string;
  holdoutEvery?: string;
  evalTokens?: string;
  evalEvery?: string;
  checkpointEvery?: string;
  logEvery?: string;
  keepAt?: string;
  textField?: string;
  seed?: string;
  resume?: boolean;
  threads?: string;
  attention?: string;
  lossRuntime?: string;
  json?: boolean;
}

function parseNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number, got "${value}"`);
  return n;
}

/** Flags → the trainer's config (validated there; out-of-range values are its errors). `from` is already resolved. */
export function lmConfigFromFlags(flags: LmTrainFlags, from?: string): Record<string, unknown> {
  const count = (flag: string, v: string | undefined) => (v === undefined ? undefined : parseCount(flag, v));
  const num = (flag: string, v: string | undefined) => (v === undefined ? undefined : parseNumber(flag, v));
  return {
    dataset: flags.dataset,
    out: flags.out,
    from,
    tokenizer: flags.tokenizer,
    layers: count('--layers', flags.layers),
    dModel: count('--d-model', flags.dModel),
    heads: count('--heads', flags.heads),
    ctx: count('--ctx', flags.ctx),
    tokens: parseCount('--tokens', flags.tokens),
    batch: count('--batch', flags.batch),
    lr: num('--lr', flags.lr),
    minLrRatio: num('--min-lr-ratio', flags.minLrRatio),
    warmupSteps: count('--warmup-steps', flags.warmupSteps),
    weightDecay: num('--weight-decay', flags.weightDecay),
    gradClip: num('--grad-clip', flags.gradClip),
    vocab: flags.vocab,
    holdoutEvery: count('--holdout-every', flags.holdoutEvery),
    evalTokens: count('--eval-tokens', flags.evalTokens),
    evalEvery: count('--eval-every', flags.evalEvery),
    checkpointEvery: count('--checkpoint-every', flags.checkpointEvery),
    logEvery: count('--log-every', flags.logEvery),
    keepAt: flags.keepAt === undefined ? undefined : parseCommaList(flags.keepAt, '--keep-at').map((v) => parseNumber('--keep-at', v)),
    textField: flags.textField,
    seed: count('--seed', flags.seed),
    resume: flags.resume ?? false,
    threads: count('--threads', flags.threads),
    attention: flags.attention,
    lossRuntime: flags.lossRuntime,
  };
}

function describe(event: LmTrainEvent): string | undefined {
  switch (event.type) {
    case 'log':
      return `${event.level === 'warn' ? 'warning: ' : ''}${event.message}`;
    case 'progress':
      return (
        `step ${event.step}/${event.totalSteps} ${compact(event.tokens)}/${compact(event.totalTokens)} tokens, ${compact(event.tokensPerSecond)} tokens/s, ` +
        `ETA ${seconds(event.etaSeconds)} | loss ${event.loss.toFixed(3)} lr ${event.lr.toExponential(2)} grad norm ${event.gradNorm.toFixed(2)}`
      );
    case 'eval':
      return `held-out loss ${event.heldOutLoss.toFixed(4)} at step ${event.step} (unigram ${event.unigramLoss.toFixed(4)})`;
    default:
      return undefined;
  }
}

export function register(program: Command): void {
  const lm = program.command('lm').description('language models: pretrain a GPT-2 in the app');
  lm.command('tokenizer')
    .description('fit a byte-level BPE vocabulary on a corpus\'s training documents (held-out ones unseen) for lm train --tokenizer')
    .option('--dataset <path-or-name>', 'corpus: .txt/.jsonl/.parquet file or folder, Hub dataset, or "sotu"', 'sotu')
    .requiredOption('--vocab-size <n>', 'tokens in the vocabulary, <|endoftext|> included, 258 to 65535, e.g. 4096')
    .requiredOption('--out <dir>', 'folder for vocab.json, merges.txt and tokenizer_config.json (must not hold a tokenizer)')
    .option('--holdout-every <n>', 'every n-th document is held out and not fitted on; use lm train\'s value', '20')
    .option('--text-field <name>', 'text field of a jsonl/parquet dataset', 'text')
    .option('--json', 'print one JSON line: {"out","vocab_size","merges","documents","words","distinct_words","bytes","tokens","tokens_per_byte","read_s","fit_s"}')
    .action(async (flags: LmTokenizerFlags) => {
      const vocabSize = parseCount('--vocab-size', flags.vocabSize);
      const { fitLmTokenizer } = await import('../../lm/tokenizer.js');
      const r = await fitLmTokenizer({
        dataset: flags.dataset,
        textField: flags.textField,
        holdoutEvery: parseCount('--holdout-every', flags.holdoutEvery),
        vocabSize,
        out: flags.out,
      });
      if (flags.json) {
        printJson({
          out: flags.out, vocab_size: r.vocabSize, merges: r.merges, documents: r.documents, words: r.words, distinct_words: r.distinctWords,
          bytes: r.bytes, tokens: r.tokens, tokens_per_byte: r.tokens / r.bytes, read_s: r.readSeconds, fit_s: r.fitSeconds,
        });
        return;
      }
      process.stdout.write(
        `fitted ${r.vocabSize} tokens (${r.merges} merges${r.vocabSize < vocabSize ? '; the corpus ran out of pairs to merge' : ''}) on ${r.documents} training documents of ${flags.dataset} ` +
          `(${compact(r.words)} words, ${compact(r.distinctWords)} distinct) in ${r.fitSeconds.toFixed(1)} s after ${r.readSeconds.toFixed(1)} s reading\n` +
          `the training text: ${compact(r.bytes)} bytes → ${compact(r.tokens)} tokens (${(r.tokens / r.bytes).toFixed(3)} tokens/byte, ${(r.tokens / r.words).toFixed(3)} tokens/word) → ${flags.out}\n`,
      );
    });
  lm.command('train')
    .description('pretrain a GPT-2 from scratch (or continue one) on a corpus; writes a Hugging Face GPT-2 folder')
    .option('--dataset <path-or-name>', 'corpus: .txt/.jsonl/.parquet file or folder, Hub dataset, or "sotu"', 'sotu')
    .requiredOption('--out <dir>', 'output: the GPT-2 folder, plus checkpoint.safetensors and snapshots/ while training')
    .option('--from <dir-or-name>', 'continue from this GPT-2 folder or Hugging Face name (its shape wins over --layers … --heads)')
    .option('--tokenizer <dir>', 'from scratch: a folder lm tokenizer wrote; the model\'s vocabulary is that BPE (default GPT-2\'s 50,257 tokens)')
    .option('--layers <n>', 'transformer blocks (default 4)')
    .option('--d-model <n>', 'residual width (default 128)')
    .option('--heads <n>', 'attention heads (default 4)')
    .option('--ctx <n>', 'context length in tokens (default 128)')
    .requiredOption('--tokens <n>', 'training tokens, e.g. 2M')
    .option('--batch <n>', 'windows of ctx tokens per step (default 16)')
    .option('--lr <lr>', 'peak learning rate after warm-up (default 1e-3)')
    .option('--min-lr-ratio <r>', 'final learning rate of the cosine decay as a fraction of --lr (default 0.1)')
    .option('--warmup-steps <n>', 'linear warm-up steps (default 5% of the steps)')
    .option('--weight-decay <w>', 'AdamW decay of the linear layers\' weights (default 0.1)')
    .option('--grad-clip <norm>', 'largest global gradient norm, 0 = off (default 1)')
    .option('--vocab <corpus|full>', 'softmax over the corpus\'s tokens (+1 shared row, exact) or the whole vocabulary (default corpus; full with --from)')
    .option('--holdout-every <n>', 'every n-th document is held out (default 20)')
    .option('--eval-tokens <n>', 'held-out tokens evaluated (default 16384)')
    .option('--eval-every <steps>', 'steps between held-out evaluations, 0 = only at the end (default 100)')
    .option('--checkpoint-every <steps>', 'steps between checkpoints, 0 = only at the end and on Ctrl-C (default 100)')
    .option('--log-every <steps>', 'steps between progress lines (default 10)')
    .option('--keep-at <f1,f2,...>', 'fractions of the tokens at which to keep a snapshot folder, e.g. 0.05,0.25')
    .option('--text-field <name>', 'text field of a jsonl/parquet dataset (default text)')
    .option('--seed <n>', 'seed of initialisation and data order (default 0)')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--threads <n>', 'worker threads the step runs on, the batch split across them, each with its own wasm instance (default 1: this thread)')
    .option('--attention <kernel|ops>', 'attention on wasm: the fused kernel or tfjs ops (slower; they round differently) (default kernel)')
    .option('--loss-runtime <auto|onnx|tfjs>', 'where the unembedding and cross-entropy run: ONNX Runtime (faster) or tfjs; auto picks ONNX Runtime on wasm/cpu when it loads (default auto)')
    .option('--json', 'print one JSON line at the end: {"out","steps","tokens","train_loss","held_out_loss","unigram_loss","tokens_per_s","parameters"}')
    .action(async (flags: LmTrainFlags) => {
      const { initEngine } = await import('../../engine/backend.js');
      await initEngine();
      let from: string | undefined;
      if (flags.from !== undefined) {
        const { resolveModel } = await import('../io.js');
        from = await resolveModel(flags.from);
      }
      const config = lmConfigFromFlags(flags, from);
      const { trainLm } = await import('../../lm/trainer.js');
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\ninterrupted: saving a checkpoint after this step (Ctrl-C again to quit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const outcome = await trainLm(config, {
          signal: controller.signal,
          onEvent: (e) => {
            const line = describe(e);
            if (line !== undefined) process.stderr.write(`${line}\n`);
          },
        });
        if (outcome.status === 'cancelled') throw new Error(`cancelled at step ${outcome.step}; the checkpoint in ${flags.out} continues with --resume`);
        const r = outcome.result!;
        if (flags.json) {
          printJson({ out: r.out, steps: r.steps, tokens: r.tokens, train_loss: r.trainLoss, held_out_loss: r.heldOutLoss, unigram_loss: r.unigramLoss, tokens_per_s: r.tokensPerS, parameters: r.parameters });
        } else {
          process.stdout.write(
            `held-out loss ${r.heldOutLoss.toFixed(4)} nats/token (unigram ${r.unigramLoss.toFixed(4)}), ${r.tokens} tokens in ${r.steps} steps at ${r.tokensPerS.toFixed(0)} tokens/s → ${r.out}\n`,
          );
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  registerLmTools(lm);
}
