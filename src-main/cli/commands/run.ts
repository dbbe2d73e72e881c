// `sae-explorer run`: one forward pass of GPT-2 over a text. Prints the ids fed, the 10 likeliest
// next tokens after the last position and the mean next-token loss; optionally saves activations.
import type { Command } from 'commander';
import type { HookName } from '../../../src-shared/hooks.js';
import type { tf } from '../../engine/backend.js';
import type { TensorToWrite } from '../../io/safetensors.js';
import { parseCommaList, printJson, resolveModel } from '../io.js';

interface RunFlags {
  model: string;
  text: string;
  json?: boolean;
  /** Commander turns --no-bos into bos: false. */
  bos: boolean;
  saveActivations?: string;
  hooks?: string;
}

interface TopToken {
  id: number;
  token: string;
  logit: number;
}

export interface RunOutput {
  /** Ids actually fed, BOS included. */
  tokens: number[];
  /** The 10 highest logits at the last position, highest first. */
  top: TopToken[];
  /** Mean next-token cross-entropy in nats; null when fewer than 2 tokens were fed. */
  loss: number | null;
}

const TOP_K = 10;

/** Usage errors that need only the flags, found before anything is loaded. */
async function checkFlags(flags: RunFlags): Promise<string[]> {
  if ((flags.saveActivations === undefined) !== (flags.hooks === undefined)) {
    throw new Error('--save-activations FILE and --hooks H1,H2 go together: give both or neither');
  }
  if (flags.saveActivations === undefined) return [];
  const { existsSync, statSync } = await import('node:fs');
  const path = await import('node:path');
  const folder = path.dirname(path.resolve(flags.saveActivations));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`--save-activations ${flags.saveActivations}: folder ${folder} does not exist`);
  return parseCommaList(flags.hooks!, '--hooks');
}

/** Top tokens at the last position and the mean next-token loss, from logits [1, pos, vocab]. */
export async function computeRunOutput(ids: number[], logits: tf.Tensor3D, k: number, tokenString: (id: number) => string): Promise<RunOutput> {
  const { tf } = await import('../../engine/backend.js');
  const [, pos, vocab] = logits.shape;
  const [values, indices] = tf.tidy(() => {
    const last = logits.slice([0, pos - 1, 0], [1, 1, vocab]).reshape([vocab]); // [vocab]
    const { values, indices } = tf.topk(last, Math.min(k, vocab)); // [k], sorted by value desc
    return [values, indices];
  });
  const topLogits = values.dataSync();
  const topIds = indices.dataSync();
  tf.dispose([values, indices]);
  const top = Array.from(topIds, (id, i) => ({ id, token: tokenString(id), logit: topLogits[i] }));
  if (pos < 2) return { tokens: ids, top, loss: null };
  // Computed from the logits we already have rather than model.meanLoss, which would run the model again.
  const mean = tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits.slice([0, 0, 0], [1, pos - 1, vocab]).reshape([pos - 1, vocab])); // [pos-1, vocab]
    const pairs = tf.tensor2d(ids.slice(1).flatMap((target, row) => [row, target]), [pos - 1, 2], 'int32'); // [pos-1, 2] (row, next id)
    return tf.gatherND(logProbs, pairs).mean().neg(); // []
  });
  const loss = mean.dataSync()[0];
  mean.dispose();
  return { tokens: ids, top, loss };
}

/**
 * Writes one F32 tensor per hook, named by hook name, without the batch axis: [n_tokens, d], or
 * [n_heads, n_tokens, n_tokens] for attn.hook_pattern. Atomic, so a failure leaves no file.
 */
export async function saveActivations(file: string, cache: Map<HookName, tf.Tensor>, hooks: HookName[], metadata: Record<string, string>): Promise<void> {
  const { writeSafetensors } = await import('../../io/safetensors.js');
  const tensors: Record<string, TensorToWrite> = {};
  for (const name of hooks) {
    const activation = cache.get(name);
    if (!activation) throw new Error(`the forward pass did not return hook ${name}; cannot write ${file}`);
    tensors[name] = { dtype: 'F32', shape: activation.shape.slice(1), data: Float32Array.from(activation.dataSync()) };
  }
  writeSafetensors(file, tensors, metadata);
}

/** Prints the result as a few readable lines. */
function formatRun(out: RunOutput, display: (id: number) => string): string {
  const lines = [
    `tokens (${out.tokens.length}): ${out.tokens.map(display).join(' | ')}`,
    `loss: ${out.loss === null ? 'n/a (fewer than 2 tokens)' : `${out.loss.toFixed(4)} nats/token`}`,
    'top next tokens:',
    ...out.top.map((t, i) => `${String(i + 1).padStart(4)}  ${String(t.id).padStart(5)}  ${t.logit.toFixed(3).padStart(9)}  ${display(t.id)}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run GPT-2 on a text: top-10 next tokens, mean next-token loss, and optionally saved activations')
    .requiredOption('--model <dir-or-name>', 'model folder, or a Hugging Face name such as gpt2 (downloaded into the HF cache)')
    .requiredOption('--text <text>', 'text to run; <|endoftext|> in it is the end-of-text token')
    .option('--json', 'print one JSON object {"tokens", "top", "loss"}')
    .option('--no-bos', 'do not prepend <|endoftext|> (50256) as BOS')
    .option('--save-activations <file>', 'write a safetensors file with one F32 tensor per hook, named by hook name')
    .option('--hooks <names>', 'comma-separated hook names for --save-activations, e.g. blocks.0.hook_resid_post')
    .action(async (flags: RunFlags) => {
      const hookArgs = await checkFlags(flags);
      const { initEngine, tf } = await import('../../engine/backend.js');
      await initEngine();
      const dir = await resolveModel(flags.model);
      const { readGpt2Config, loadGpt2 } = await import('../../model/load.js');
      const config = readGpt2Config(dir);
      const { parseHookName } = await import('../../../src-shared/hooks.js');
      const hooks: HookName[] = hookArgs.map((name) => {
        try {
          return parseHookName(name, config.nLayer).name;
        } catch (err) {
          throw new Error(`--hooks: ${(err as Error).message}`);
        }
      });

      const { loadTokenizer } = await import('../../tokenizer/load.js');
      const tokenizer = await loadTokenizer(dir);
      const ids = [...(flags.bos ? [tokenizer.eotId] : []), ...tokenizer.encode(flags.text)];
      if (ids.length === 0) throw new Error('--text is empty and --no-bos leaves no token to run');
      if (ids.length > config.nPositions) {
        throw new Error(`--text is ${ids.length} tokens${flags.bos ? ' with BOS' : ''}, more than the model's context of ${config.nPositions} (n_positions); shorten it`);
      }

      const model = await loadGpt2(dir);
      const tokens = tf.tensor2d(ids, [1, ids.length], 'int32'); // [1, pos]
      try {
        const { logits, cache } = model.run(tokens, { cache: hooks }); // logits: [1, pos, vocab]
        try {
          const out = await computeRunOutput(ids, logits!, TOP_K, (id) => tokenizer.decode([id]));
          if (flags.saveActivations) {
            await saveActivations(flags.saveActivations, cache, hooks, { model: flags.model, tokens: JSON.stringify(ids) });
          }
          if (flags.json) printJson(out);
          else process.stdout.write(formatRun(out, (id) => tokenizer.displayToken(id)));
        } finally {
          tf.dispose([logits!, ...cache.values()]);
        }
      } finally {
        tokens.dispose();
        model.dispose();
      }
    });
}
