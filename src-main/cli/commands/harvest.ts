// `sae-explorer harvest`: one pass of the model over a corpus for one SAE or a whole family, into the
// feature database (statistics, contexts, logit effects, neighbours). Ctrl-C stops cleanly; a rerun
// skips SAEs already harvested with the same settings and redoes the rest.
import type { Command } from 'commander';

import type { ComparableSet } from '../../features/comparable-set.js';

interface HarvestFlags {
  model: string;
  sae: string;
  dataset: string;
  tokens: string;
  db: string;
  top?: string;
  modelThreads?: string;
  json?: boolean;
}

function positiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return Number(value);
}

export function register(program: Command): void {
  program
    .command('harvest')
    .description('harvest max-activating contexts, statistics, logit effects and neighbours of SAE latents into a SQLite database')
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--sae <dirs>', 'SAELens folder(s), comma-separated; a family folder (with family.json) means all its sizes; a checkpoints set (train --checkpoints) runs each member on its own model and matches them by activation correlation')
    .option('--dataset <spec>', 'corpus: sotu (embedded), a .txt/.jsonl/.parquet file or folder, or a Hub dataset', 'sotu')
    .requiredOption('--tokens <n>', 'tokens to harvest')
    .requiredOption('--db <file>', 'feature database (created if missing)')
    .option('--top <n>', 'top activating contexts kept per latent', '40')
    .option('--model-threads <n>', 'worker threads the GPT-2 forward runs on, each with its own wasm instance and copy of the weights; 1 = this thread (default: every core, at most 4, on wasm; 1 on TensorFlow)')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (flags: HarvestFlags) => {
      const tokens = positiveInt('--tokens', flags.tokens);
      const topN = positiveInt('--top', flags.top ?? '40');
      const dirs = flags.sae.split(',').map((s) => s.trim()).filter(Boolean);
      if (dirs.length === 0) throw new Error('--sae needs at least one SAE folder');
      const path = await import('node:path');
      const fs = await import('node:fs');
      const { loadModelAndTokenizer, modelThreadsFlag } = await import('../io.js');
      const { withModelPool } = await import('../../model/pool.js');
      const { activationsOnOnnx } = await import('../../data/onnx-activations.js');
      const { openStore } = await import('../../store/open.js');
      const { parseHarvestConfig } = await import('../../features/harvest-config.js');
      const { loadHarvestSaes, harvestWindowsFor } = await import('../../features/harvest-inputs.js');
      const { runHarvest } = await import('../../features/harvest-job.js');
      const { readUnembedding } = await import('../../features/unembedding.js');
      const { throttledLines } = await import('../../features/progress-text.js');

      const { checkDeviceMemory } = await import('../../engine/backend.js');
      const { harvestWeightBytes } = await import('../../features/harvest-inputs.js');

      const { SET_FILE, readSetFile } = await import('../../features/comparable-set.js');
      const sets = dirs.filter((d) => fs.existsSync(path.join(d, SET_FILE)) && !fs.existsSync(path.join(d, 'cfg.json'))).map((d) => readSetFile(path.resolve(d)));
      const checkpointSet = sets.find((s) => s.kind === 'checkpoints');
      if (checkpointSet) {
        if (dirs.length !== 1) throw new Error(`--sae ${checkpointSet.dir} is a checkpoints set: harvest it alone (each member runs on its own model)`);
        return harvestSet(checkpointSet, flags, tokens, topN);
      }
      const saes = loadHarvestSaes(dirs);
      const { dir: modelDir, model, tokenizer } = await loadModelAndTokenizer(flags.model, (dir) =>
        checkDeviceMemory(harvestWeightBytes(dir, saes.map((s) => s.path)), `harvest of ${saes.length} SAE${saes.length === 1 ? '' : 's'} with ${flags.model}`),
      );
      const { threads, warning } = await modelThreadsFlag(flags.modelThreads, 'harvest');
      if (warning) process.stderr.write(`harvest: ${warning}\n`);
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('harvest cancelled (Ctrl-C); rerun the same command to redo the unfinished SAEs'));
      process.once('SIGINT', stop);
      const db = openStore(flags.db);
      try {
        const started = performance.now();
        const windows = await harvestWindowsFor(flags.dataset, tokenizer, tokens, controller.signal);
        const summaries = await withModelPool(model, activationsOnOnnx(model) ? 1 : threads, (pool) => runHarvest({
          db,
          modelName: fs.existsSync(flags.model) ? path.resolve(flags.model) : flags.model,
          model,
          unembedding: readUnembedding(modelDir),
          tokenText: (id) => tokenizer.displayToken(id),
          dataset: flags.dataset,
          windows,
          saes,
          config: parseHarvestConfig({ topN }),
          pool,
          onProgress: throttledLines((line) => process.stderr.write(`${line}\n`)),
          signal: controller.signal,
        }));
        const seconds = (performance.now() - started) / 1000;
        const harvested = windows.count * (windows.contextSize - 1);
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({
              db: path.resolve(flags.db),
              tokens: harvested,
              seconds,
              tokens_per_s: summaries.every((s) => s.skipped) ? null : harvested / seconds,
              saes: summaries.map((s) => ({ id: s.saeId, path: s.path, d_sae: s.dSae, skipped: s.skipped, dead_frac: s.deadFraction })),
            })}\n`,
          );
        } else {
          for (const s of summaries) {
            process.stdout.write(`SAE ${s.saeId} (d_sae ${s.dSae}) ${s.skipped ? 'already harvested, skipped' : 'harvested'}: ${(s.deadFraction * 100).toFixed(1)}% dead  ${s.path}\n`);
          }
          process.stdout.write(`${harvested} tokens in ${seconds.toFixed(1)} s → ${path.resolve(flags.db)}\n`);
        }
      } finally {
        process.off('SIGINT', stop);
        db.close();
        model.dispose();
      }
    });
}

/**
 * A checkpoints set: each member harvested on its own model (the set's model_path) over the same
 * windows, then the counterparts matched by activation correlation. --model must be the set's final
 * model, so the command never silently runs on another model than it names.
 */
async function harvestSet(set: ComparableSet, flags: HarvestFlags, tokens: number, topN: number): Promise<void> {
  const path = await import('node:path');
  const { loadModelAndTokenizer } = await import('../io.js');
  const { openStore } = await import('../../store/open.js');
  const { parseHarvestConfig } = await import('../../features/harvest-config.js');
  const { harvestWindowsFor } = await import('../../features/harvest-inputs.js');
  const { harvestCheckpointSet } = await import('../../features/set-harvest.js');
  const { readUnembedding } = await import('../../features/unembedding.js');
  const { throttledLines } = await import('../../features/progress-text.js');
  const final = set.members[set.members.length - 1]!;
  if (path.resolve(flags.model) !== final.modelPath) throw new Error(`--model ${flags.model}: ${set.dir} is a checkpoints set whose final model is ${final.modelPath}; name that one`);
  const loaded = [];
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('harvest cancelled (Ctrl-C); rerun the same command to redo the unfinished SAEs'));
  process.once('SIGINT', stop);
  const db = openStore(flags.db);
  try {
    for (const m of set.members) loaded.push(await loadModelAndTokenizer(m.modelPath!));
    const { tokenizer } = loaded[loaded.length - 1]!;
    const windows = await harvestWindowsFor(flags.dataset, tokenizer, tokens, controller.signal);
    const lines = throttledLines((line) => process.stderr.write(`${line}\n`));
    const result = await harvestCheckpointSet({
      db,
      set,
      models: loaded.map((l) => ({ name: l.dir, model: l.model, unembedding: readUnembedding(l.dir) })),
      tokenText: (id) => tokenizer.displayToken(id),
      dataset: flags.dataset,
      windows,
      config: parseHarvestConfig({ topN }),
      onProgress: (event) => {
        if (event.stage !== 'matching') lines(event);
        else if (event.done === event.total) process.stderr.write(`matched on ${event.total} windows\n`);
      },
      signal: controller.signal,
    });
    const summary = {
      db: path.resolve(flags.db),
      tokens: windows.count * (windows.contextSize - 1),
      match_tokens: result.matchTokens,
      saes: result.members.map((s, i) => ({ id: s.saeId, label: set.members[i]!.label, path: s.path, d_sae: s.dSae, skipped: s.skipped, dead_frac: s.deadFraction })),
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else for (const s of summary.saes) process.stdout.write(`${s.label} (SAE ${s.id}, d_sae ${s.d_sae}) ${s.skipped ? 'already harvested, skipped' : 'harvested'}: ${(s.dead_frac * 100).toFixed(1)}% dead; counterparts on ${result.matchTokens} tokens\n`);
  } finally {
    process.off('SIGINT', stop);
    db.close();
    for (const l of loaded) l.model.dispose();
  }
}
