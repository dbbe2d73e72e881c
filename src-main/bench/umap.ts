// UMAP time for 16k and 65k latents of d 768 (GPT-2 small's width): decoder-like directions made of
// 1,024 cluster centres plus noise, so the neighbour graph has structure as a real family's has.
import { umapLayout } from '../features/umap.js';
import { seededRandom } from '../../src-shared/random.js';

const D = 768;

function clusteredDirections(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Float32Array.from({ length: 1024 * D }, gaussian);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(random() * 1024);
    for (let j = 0; j < D; j++) x[i * D + j] = centres[c * D + j] + 0.7 * gaussian();
  }
  return x;
}

async function timeUmap(n: number): Promise<{ total: number; knn: number; cpu: number }> {
  const x = clusteredDirections(n, n);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let knnDone = 0;
  await umapLayout(x, n, D, { seed: 0 }, (stage, done) => {
    if (stage === 'knn' && done === 1) knnDone = performance.now();
  });
  const end = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  return { total: (end - started) / 1000, knn: (knnDone - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

export async function run(): Promise<Record<string, number | string>> {
  const sizes = (process.env.SAE_BENCH_UMAP_SIZES ?? '16384,65536').split(',').map(Number);
  const out: Record<string, number | string> = { d: D, note: 'kNN by blocked matmul on 64 principal directions above 8,192 points; fuzzy graph and 2-D + 3-D layouts (200 epochs) in typed arrays; cpu_s is this process\'s CPU time, which is the wall time on an otherwise idle core' };
  for (const n of sizes) {
    const t = await timeUmap(n);
    out[`umap_${n}_s`] = Math.round(t.total * 10) / 10;
    out[`knn_${n}_s`] = Math.round(t.knn * 10) / 10;
    out[`umap_${n}_cpu_s`] = Math.round(t.cpu * 10) / 10;
    process.stderr.write(`bench umap: ${n} latents in ${t.total.toFixed(1)} s wall, ${t.cpu.toFixed(1)} s CPU (kNN ${t.knn.toFixed(1)} s)\n`);
  }
  return out;
}
