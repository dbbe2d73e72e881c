// Harvest throughput (tokens/s over both passes and all writes) for a family of three sizes on one
// site, on a GPT-2-small-shaped model (12 layers, d 768, random weights) at blocks.8.hook_resid_post,
// with wall and CPU seconds per part (the harvest's PhaseClock): GPT-2's forward, each SAE's encode,
// the statistics and context trackers, the code spill, the database writes, logit effects and
// neighbours. CPU is the whole process's, worker threads included; the load average is printed
// beside it because on a shared machine wall time mostly measures the other jobs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHarvestConfig } from '../features/harvest-config.js';
import { harvestWindowsFor } from '../features/harvest-inputs.js';
import { throttledLines } from '../features/progress-text.js';
import { runHarvest } from '../features/harvest-job.js';
import { PhaseClock } from '../features/phase-clock.js';
import { seededRandom } from '../../src-shared/random.js';
import { readUnembedding } from '../features/unembedding.js';
import { loadGpt2 } from '../model/load.js';
import { createTinyModel } from '../model/tiny.js';
import type { SaeBundle } from '../sae/types.js';
import { openStore } from '../store/open.js';
import { loadTokenizer } from '../tokenizer/load.js';

const HOOK = 'blocks.8.hook_resid_post';
const D = 768;

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The breakdown as a table, slowest part first. */
export function table(result: Record<string, unknown>): string {
  const phases = Object.entries(result.phases as Record<string, { wall_s: number; cpu_s: number }>).sort((a, b) => b[1].cpu_s - a[1].cpu_s);
  const cpu = result.cpu_s as number;
  const rows = phases.map(([name, t]) => `| ${name} | ${t.wall_s} | ${t.cpu_s} | ${Math.round((100 * t.cpu_s) / cpu)}% |`);
  return ['| part | wall s | CPU s | share of CPU |', '| --- | --- | --- | --- |', ...rows, `| total | ${result.total_s} | ${cpu} | load ${result.load_at_start} → ${result.load_at_end} |`].join('\n');
}

function randomSae(dSae: number, seed: number): SaeBundle {
  const random = seededRandom(seed);
  const W_dec = Float32Array.from({ length: dSae * D }, () => (random() - 0.5) / 14);
  const W_enc = new Float32Array(D * dSae);
  for (let i = 0; i < dSae; i++) for (let j = 0; j < D; j++) W_enc[j * dSae + i] = W_dec[i * D + j];
  return {
    spec: { architecture: 'topk', dIn: D, dSae, k: 32, normalizeActivations: 'none', applyBDecToInput: true, modelName: 'bench', hookName: HOOK, contextSize: 64, prependBos: true },
    weights: { W_enc, W_dec, b_enc: new Float32Array(dSae), b_dec: new Float32Array(D) },
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const tokens = Number(process.env.SAE_BENCH_HARVEST_TOKENS ?? 4032);
  const sizes = (process.env.SAE_BENCH_HARVEST_SIZES ?? '1024,4096,16384').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-bench-harvest-'));
  try {
    const modelDir = createTinyModel(path.join(dir, 'model'), { layers: 12, dModel: D, heads: 12, ctx: 64, seed: 0 });
    const model = await loadGpt2(modelDir);
    const tokenizer = await loadTokenizer(modelDir);
    const db = openStore(path.join(dir, 'features.db'));
    try {
      const windows = await harvestWindowsFor('sotu', tokenizer, tokens);
      const family = { path: path.join(dir, 'family'), name: 'bench' };
      const saes = sizes.map((n, i) => ({ path: path.join(family.path, String(n)), bundle: randomSae(n, i + 1), family }));
      const clock = new PhaseClock();
      const load = os.loadavg()[0];
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      let passesDone = 0;
      const log = throttledLines((line) => process.stderr.write(`bench harvest: ${line}\n`), 10_000);
      await runHarvest({
        db,
        modelName: 'gpt2-shaped-random',
        model,
        unembedding: readUnembedding(modelDir),
        tokenText: (id) => tokenizer.displayToken(id),
        dataset: 'sotu',
        windows,
        saes,
        config: parseHarvestConfig(),
        clock,
        onProgress: (e) => {
          log(e);
          if (e.stage === 'contexts' && 'windowsDone' in e && e.windowsDone === e.windowsTotal) passesDone = performance.now();
        },
      });
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuStarted);
      const harvested = windows.count * (windows.contextSize - 1);
      const phases: Record<string, { wall_s: number; cpu_s: number }> = {};
      for (const [name, t] of clock.phases) phases[name] = { wall_s: round(t.wallSeconds), cpu_s: round(t.cpuSeconds) };
      return {
        sizes: sizes.join(','),
        tokens: harvested,
        tokens_per_s: Math.round(harvested / seconds),
        passes_tokens_per_s: Math.round(harvested / ((passesDone - started) / 1000)),
        total_s: Math.round(seconds),
        cpu_s: round((cpu.user + cpu.system) / 1e6),
        tokens_per_cpu_s: round(harvested / ((cpu.user + cpu.system) / 1e6)),
        load_at_start: round(load),
        load_at_end: round(os.loadavg()[0]),
        phases,
        note: 'two passes (statistics, then contexts) with GPT-2 run once per batch for all sizes; total includes logit effects and neighbours',
      };
    } finally {
      db.close();
      model.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
