// UMAP time and quality at 65k and 262k latents of d 768 (GPT-2 small's width), on decoder-like
// directions with planted cluster structure (data/planted.ts), and on a real family's decoder rows
// when SAE_BENCH_UMAP_FAMILY names one. Prints wall and CPU time (the process's, worker threads
// included), the kNN / graph / layout split, the neighbour graph's recall against exact neighbours,
// and the 2-D layout's trustworthiness (k 15), both on a sample of points. SAE_BENCH_UMAP_DUMP=DIR
// writes each case's data for bench/umap-quality.py, which checks these figures with sklearn and
// pynndescent.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { plantedDirectionMixture } from '../data/planted.js';
import { familyMembers } from '../features/harvest-inputs.js';
import { UnitRows } from '../features/knn.js';
import { knnRecall, samplePoints, trustworthiness } from '../features/umap-quality.js';
import { umapLayout, type UmapOptions } from '../features/umap.js';
import { loadSaeLens } from '../sae/formats/saelens.js';

const D = 768;
const TRUST_K = 15;

interface Case {
  name: string;
  x: Float32Array;
  n: number;
  d: number;
  options: Partial<UmapOptions>;
}

const round = (x: number, places = 1) => Math.round(x * 10 ** places) / 10 ** places;

async function measure(c: Case, sampleSize: number, dump: string | undefined): Promise<Record<string, number | string>> {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const layout = await umapLayout(c.x, c.n, c.d, c.options);
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const rows = new UnitRows(c.x, c.n, c.d);
  const sample = samplePoints(c.n, sampleSize, 7);
  const recall = knnRecall(rows, layout.neighbours, sample);
  const trust = trustworthiness(rows, layout.xy, 2, TRUST_K, sample);
  const s = layout.stats;
  process.stderr.write(
    `bench umap: ${c.name}: ${c.n} points in ${wall.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU ` +
      `(kNN ${s.knnSeconds.toFixed(1)} s ${s.knnMethod}, graph ${s.graphSeconds.toFixed(1)} s, layouts ${s.layoutSeconds.toFixed(1)} s: ${s.epochs} epochs, ${s.threads} thread(s)); ` +
      `recall ${recall.toFixed(4)}, trustworthiness ${trust.toFixed(4)} on ${sample.length} points\n`,
  );
  if (dump) {
    const dir = path.join(dump, c.name);
    mkdirSync(dir, { recursive: true });
    const write = (file: string, a: ArrayBufferView) => writeFileSync(path.join(dir, file), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    write('x.f32', c.x);
    write('xy.f32', layout.xy);
    write('knn.i32', layout.neighbours.indices);
    write('sample.i32', sample);
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ n: c.n, d: c.d, k: layout.neighbours.k, trust_k: TRUST_K, seed: c.options.seed ?? 0, recall, trustworthiness: trust }, null, 1));
  }
  return {
    [`${c.name}_s`]: round(wall),
    [`${c.name}_cpu_s`]: round((cpu.user + cpu.system) / 1e6),
    [`${c.name}_knn_s`]: round(s.knnSeconds),
    [`${c.name}_graph_s`]: round(s.graphSeconds),
    [`${c.name}_layout_s`]: round(s.layoutSeconds),
    [`${c.name}_epochs`]: s.epochs,
    [`${c.name}_knn_method`]: s.knnMethod,
    [`${c.name}_recall`]: round(recall, 4),
    [`${c.name}_trustworthiness`]: round(trust, 4),
  };
}

/** The decoder rows of every member of a family folder, one after the other. */
function familyRows(dir: string): { x: Float32Array; n: number; d: number } {
  const bundles = familyMembers(dir).map((member) => loadSaeLens(member));
  const d = bundles[0].spec.dIn;
  const n = bundles.reduce((sum, b) => sum + b.spec.dSae, 0);
  const x = new Float32Array(n * d);
  let offset = 0;
  for (const b of bundles) {
    x.set(b.weights.W_dec, offset);
    offset += b.weights.W_dec.length;
  }
  return { x, n, d };
}

export async function run(): Promise<Record<string, number | string>> {
  const sizes = (process.env.SAE_BENCH_UMAP_SIZES ?? '65536,262144').split(',').map(Number);
  const sampleSize = Number(process.env.SAE_BENCH_UMAP_SAMPLE ?? 256);
  const dump = process.env.SAE_BENCH_UMAP_DUMP;
  const nEpochs = process.env.SAE_BENCH_UMAP_EPOCHS ? Number(process.env.SAE_BENCH_UMAP_EPOCHS) : undefined;
  const out: Record<string, number | string> = {
    d: D,
    note: `planted mixture of 64 groups × 16 clusters; kNN exact up to 4,096 points, NN-descent above; 2-D and 3-D layouts in two worker threads; cpu_s is the process's CPU time, worker threads included; recall and trustworthiness (k ${TRUST_K}) on ${sampleSize} sampled points`,
  };
  const family = process.env.SAE_BENCH_UMAP_FAMILY;
  if (family) {
    const { x, n, d } = familyRows(family);
    // NN-descent forced: at this size 'auto' would search exactly, and its recall is the figure wanted.
    Object.assign(out, await measure({ name: `family_${n}`, x, n, d, options: { seed: 0, knn: { method: 'nn-descent' } } }, n, dump));
  }
  for (const n of sizes) {
    if (!Number.isSafeInteger(n) || n < 3) throw new Error(`SAE_BENCH_UMAP_SIZES: "${n}" is not a point count ≥ 3`);
    Object.assign(out, await measure({ name: `umap_${n}`, x: plantedDirectionMixture(n, D, n), n, d: D, options: { seed: 0, nEpochs } }, sampleSize, dump));
  }
  return out;
}
