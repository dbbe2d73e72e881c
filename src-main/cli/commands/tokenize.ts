// `sae-explorer tokenize`: the GPT-2 token ids of a text (no BOS), as JSON or as a table.
import type { Command } from 'commander';
import type { Gpt2Tokenizer } from '../../tokenizer/bpe.js';
import { printJson, tokenizerForModel } from '../io.js';

interface TokenizeFlags {
  text: string;
  model?: string;
  json?: boolean;
}

export function formatTokenTable(ids: number[], tokenizer: Gpt2Tokenizer): string {
  const idWidth = Math.max(2, ...ids.map((id) => String(id).length));
  const posWidth = Math.max(3, String(ids.length - 1).length);
  const lines = [`${'pos'.padStart(posWidth)}  ${'id'.padStart(idWidth)}  token`];
  ids.forEach((id, pos) => lines.push(`${String(pos).padStart(posWidth)}  ${String(id).padStart(idWidth)}  ${tokenizer.displayToken(id)}`));
  lines.push(`${ids.length} token${ids.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('print the GPT-2 token ids of a text (no BOS); tokens shown with · for space, ↵ for newline')
    .requiredOption('--text <text>', 'text to tokenize')
    .option('--model <dir-or-name>', "use this model folder's tokenizer (vocab.json + merges.txt or tokenizer.json); default GPT-2's")
    .option('--json', 'print {"ids": [...], "tokens": [...]} with tokens as decoded strings')
    .action(async (flags: TokenizeFlags) => {
      const tokenizer = await tokenizerForModel(flags.model);
      const ids = tokenizer.encode(flags.text);
      if (flags.json) printJson({ ids, tokens: ids.map((id) => tokenizer.decode([id])) });
      else process.stdout.write(formatTokenTable(ids, tokenizer));
    });
}
