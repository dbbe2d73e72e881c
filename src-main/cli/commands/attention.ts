// `sae-explorer attention` and `sae-explorer lens`: how a model moves information between positions,
// and how its next-token guess forms layer by layer.
import type { Command } from 'commander';
import { printJson } from '../io.js';

interface CircuitFlags {
  model: string;
  prompt: string;
  /** Commander turns --no-bos into bos: false. */
  bos: boolean;
  json?: boolean;
}

interface AttentionFlags extends CircuitFlags {
  layer?: string;
  seed: string;
}

interface LensFlags extends CircuitFlags {
  top: string;
}

function nonNegativeInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

const fixed = (v: number) => v.toFixed(3);

export function register(program: Command): void {
  program
    .command('attention')
    .description("per-head previous-token, BOS and induction scores on a prompt, and with --layer that layer's attention patterns")
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--prompt <text>', 'the prompt')
    .option('--layer <l>', 'also return the attention patterns [head][query][key] of this layer')
    .option('--seed <s>', 'seed of the random repeated sequences for the induction score', '0')
    .option('--no-bos', 'do not prepend <|endoftext|> as BOS')
    .option('--json', 'print {"tokens", "previous_token", "bos", "induction", "induction_length", "patterns"?}')
    .action(async (flags: AttentionFlags) => {
      const layer = flags.layer === undefined ? undefined : nonNegativeInt('--layer', flags.layer);
      const seed = nonNegativeInt('--seed', flags.seed);
      const { loadModelAndTokenizer } = await import('../io.js');
      const { headScoreReport, patternReport } = await import('../../circuits/report.js');
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      try {
        const scores = headScoreReport(model, tokenizer, flags.prompt, flags.bos, seed);
        const patterns = layer === undefined ? undefined : patternReport(model, tokenizer, flags.prompt, layer, flags.bos).patterns;
        if (flags.json) {
          printJson({
            tokens: scores.tokens,
            previous_token: scores.previousToken,
            bos: scores.bos,
            induction: scores.induction,
            induction_length: scores.inductionLength,
            ...(patterns ? { layer, patterns } : {}),
          });
          return;
        }
        const lines = ['layer.head  prev-token     BOS  induction'];
        scores.induction.forEach((row, l) =>
          row.forEach((induction, h) => lines.push(`${`${l}.${h}`.padStart(10)}  ${fixed(scores.previousToken[l]![h]!).padStart(10)}  ${fixed(scores.bos[l]![h]!).padStart(6)}  ${fixed(induction).padStart(9)}`)),
        );
        patterns?.forEach((head, h) => {
          lines.push(`layer ${layer} head ${h} (rows: queries, columns: keys)`);
          head.forEach((row, q) => lines.push(`${JSON.stringify(scores.tokens[q]).padEnd(14)} ${row.slice(0, q + 1).map(fixed).join(' ')}`));
        });
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        model.dispose();
      }
    });

  program
    .command('lens')
    .description('the logit lens: the residual stream after each block read out through ln_final and the unembedding')
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--prompt <text>', 'the prompt')
    .option('--top <k>', 'next tokens per position and layer (at most 20)', '5')
    .option('--no-bos', 'do not prepend <|endoftext|> as BOS')
    .option('--json', 'print {"tokens", "layers": [{"hookName", "top": [[{"id", "token", "prob"}]]}]}')
    .action(async (flags: LensFlags) => {
      const top = nonNegativeInt('--top', flags.top);
      if (top < 1 || top > 20) throw new Error(`--top must be in 1..20, got ${top}`);
      const { loadModelAndTokenizer } = await import('../io.js');
      const { logitLensReport } = await import('../../circuits/report.js');
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      try {
        const lens = logitLensReport(model, tokenizer, flags.prompt, top, flags.bos);
        if (flags.json) {
          printJson(lens);
          return;
        }
        const last = lens.tokens.length - 1;
        const lines = [`next token after ${JSON.stringify(lens.tokens[last])}, layer by layer:`];
        for (const layer of lens.layers) lines.push(`${layer.hookName.padEnd(26)} ${layer.top[last]!.map((e) => `${JSON.stringify(e.token)} ${fixed(e.prob)}`).join('  ')}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        model.dispose();
      }
    });
}
