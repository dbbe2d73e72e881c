// `npm run bench -- train-memory`: what the app's estimator (train/memory.ts) says families of GPT-2
// small SAEs need, f32, top-k k 32, batch 4,096 with an 8-batch buffer: as on wasm, and with the
// device step's temporaries (tfjs-node-gpu), against an RTX 3090's 24 GiB. Arithmetic only: it
// allocates nothing, so it is the figure docs/benchmarks.md quotes, not a measurement of a GPU.
import { estimateTrainMemory } from '../train/memory.js';
import { GPT2_SMALL } from './gpt2-small.js';

const FAMILIES: Record<string, number[]> = {
  'res-jb ladder 768 … 98,304': [768, 1536, 3072, 6144, 12288, 24576, 49152, 98304],
  'v5 32k + 128k': [32768, 131072],
  '16k + 64k + 256k': [16384, 65536, 262144],
  '16k + 64k + 256k + 512k': [16384, 65536, 262144, 524288],
  '16k + 64k + 256k + 1M': [16384, 65536, 262144, 1048576],
  '1M alone': [1048576],
};
const RTX_3090_GIB = 24;

const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 100) / 100;

export async function run(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const [name, sizes] of Object.entries(FAMILIES)) {
    const request = { dIn: 768, sizes, arch: 'topk' as const, k: 32, batch: 4096, multiTopK: false, bufferBatches: 8, shards: 1, model: GPT2_SMALL };
    const wasm = gib(estimateTrainMemory(request).total);
    const device = gib(estimateTrainMemory({ ...request, stepOnDevice: true }).total);
    out[`${name}: GiB as on wasm`] = wasm;
    out[`${name}: GiB on the GPU`] = device;
    out[`${name}: fits a ${RTX_3090_GIB} GiB RTX 3090`] = device <= RTX_3090_GIB ? 'yes' : 'no';
  }
  return out;
}
