// Family speed-up: three SAE sizes trained in one pass of a GPT-2-small-shaped model (random
// weights, 12 layers, d 768, vocab 50257) against three separate runs of one size each. The GPT-2
// forward to blocks.8 is paid once per batch by the family and three times by the separate runs.
// Reports wall and CPU seconds; CPU time is what a shared machine cannot distort (wasm runs on one
// thread), wall time is what matters on a GPU backend.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomGpt2Small } from './gpt2-small.js';
import { trainFamily } from '../train/trainer.js';

// Sizes and the forward batch are kept small because tfjs-wasm's heap cannot grow far past the
// 500 MB of GPT-2-small weights plus XNNPACK's packed copies (larger runs abort with XNN status 6).
const SIZES = [512, 1024, 2048];
const MODEL_BATCH = 8;
const BATCH = 1008; // 16 windows of 63 activation tokens: every buffer fill is one forward pass of 32 windows
const STEPS = 2;

async function timed(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await run();
  const cpu = process.cpuUsage(cpu0);
  return { wall: (performance.now() - wall0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

export async function run(): Promise<Record<string, number | string>> {
  const model = randomGpt2Small();
  const root = mkdtempSync(join(tmpdir(), 'bench-family-'));
  const config = (latents: number[], out: string) => ({
    model: 'gpt2-small-random',
    hook: 'blocks.8.hook_resid_post',
    latents,
    k: 32,
    tokens: STEPS * BATCH,
    batch: BATCH,
    out: join(root, out),
    evalTokens: 0,
    checkpointEvery: 0,
    bufferBatches: STEPS,
    initTokens: BATCH,
    modelBatch: MODEL_BATCH,
  });
  try {
    // Warm-up: loads the tokenizer and compiles the kernels both variants use.
    await trainFamily({ ...config([SIZES[0]], 'warmup'), tokens: BATCH, bufferBatches: 1 }, { model });
    const family = await timed(() => trainFamily(config(SIZES, 'family'), { model }));
    const separate = await timed(async () => {
      for (const n of SIZES) await trainFamily(config([n], `single-${n}`), { model });
    });
    const tokens = STEPS * BATCH;
    return {
      sizes: SIZES.join(','),
      k: 32,
      tokens_per_run: tokens,
      family_wall_s: round(family.wall),
      separate_wall_s: round(separate.wall),
      speedup_wall: round(separate.wall / family.wall),
      family_cpu_s: round(family.cpu),
      separate_cpu_s: round(separate.cpu),
      speedup_cpu: round(separate.cpu / family.cpu),
      family_tokens_per_s_cpu: round(tokens / family.cpu),
    };
  } finally {
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
