// The feature database at a family's scale: builds a database of 16,384 + 65,536 + 262,144 latents
// (SAE_BENCH_STORE_SIZES to change) through the harvest's own writers, with what a default harvest
// stores per latent — 40 top contexts and 10 × 5 quantile samples of 33 tokens cut from 64-token
// corpus windows, an activation histogram, 10 + 10 logit tokens and their histogram, 10 neighbours
// and 5 relatives in each other size — then times random feature pages, list pages (sorted, and
// filtered by token text) and search across the family, wall and CPU, and reports where the bytes go.
// Values are drawn to look like a harvest's: activations zero except the peak and ~10% of the other
// tokens (a top-k latent is silent on most tokens around its peak), Zipf-distributed token ids.
// SAE_BENCH_STORE_DB=FILE keeps the database there, and queries it without rebuilding when it exists.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../src-shared/random.js';
import { openStore, type Db } from '../store/open.js';
import { featurePage, listLatents, searchLatents } from '../store/queries.js';
import type { LatentRecord, LogitRecord, NeighbourRecord } from '../store/records.js';
import {
  beginHarvest,
  finishHarvest,
  registerDataset,
  registerFamily,
  registerModel,
  registerSae,
  writeLatents,
  writeLogitEffects,
  writeNeighbours,
} from '../store/writes.js';

const CONTEXT_SIZE = 64;
const WINDOWS = 65_536;
const TOP_N = 40;
const INTERVALS = 10;
const PER_INTERVAL = 5;
const BEFORE = 24;
const AFTER = 8;
const CHUNK = 1024;
const VOCAB = 50_257;

function sizes(): number[] {
  const raw = process.env.SAE_BENCH_STORE_SIZES ?? '16384,65536,262144';
  const out = raw.split(',').map(Number);
  if (!out.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`SAE_BENCH_STORE_SIZES="${raw}": expected a comma-separated list of positive integers`);
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Wall and CPU (user + system, this thread) milliseconds per query: p50 and p95 of each. */
function timeQueries(count: number, query: (i: number) => unknown): { p50: number; p95: number; cpu_p50: number; cpu_p95: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < count; i++) {
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    query(i);
    wall.push(performance.now() - started);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: round(percentile(wall, 0.5)), p95: round(percentile(wall, 0.95)), cpu_p50: round(percentile(cpu, 0.5)), cpu_p95: round(percentile(cpu, 0.95)) };
}

/** Windows of Zipf-distributed token ids, each starting with <|endoftext|> as its BOS, as a harvest's are. */
function corpus(random: () => number): { contextSize: number; tokens: Uint16Array } {
  const tokens = new Uint16Array(WINDOWS * CONTEXT_SIZE);
  for (let i = 0; i < tokens.length; i++) tokens[i] = i % CONTEXT_SIZE === 0 ? VOCAB - 1 : Math.min(VOCAB - 2, Math.floor(Math.exp(random() * Math.log(VOCAB))) - 1);
  return { contextSize: CONTEXT_SIZE, tokens };
}

function context(windows: { tokens: Uint16Array }, random: () => number, value: number) {
  const window = Math.floor(random() * WINDOWS);
  const position = Math.floor(random() * (CONTEXT_SIZE - 1));
  const start = Math.max(0, position - BEFORE);
  const end = Math.min(CONTEXT_SIZE - 1, position + AFTER + 1);
  const base = window * CONTEXT_SIZE + 1;
  const acts = Float32Array.from({ length: end - start }, () => (random() < 0.1 ? random() * value : 0));
  acts[position - start] = value;
  return { tokens: Int32Array.from(windows.tokens.subarray(base + start, base + end)), acts, maxIndex: position - start, value: Math.fround(value), window, position };
}

function latentRecord(latent: number, windows: { tokens: Uint16Array }, random: () => number): LatentRecord {
  const maxAct = 1 + 20 * random();
  const counts = new Uint32Array(60);
  const first = Math.floor(random() * 30);
  for (let b = first; b < first + 20; b++) counts[b] = Math.floor(random() * 2000);
  return {
    latent,
    density: Math.exp(Math.log(1e-5) + random() * Math.log(1e3)),
    meanAct: maxAct / 3,
    maxAct,
    topTokens: Array.from({ length: 10 }, (_, i) => `·tok${(latent * 7 + i * 131) % 20_000}`).join(' '),
    actHistogram: { logLo: -3, logHi: 3, counts },
    top: Array.from({ length: TOP_N }, (_, r) => context(windows, random, maxAct * (1 - r / (2 * TOP_N)))),
    quantiles: Array.from({ length: INTERVALS }, (_, interval) => ({
      interval,
      lo: (maxAct * interval) / INTERVALS,
      hi: (maxAct * (interval + 1)) / INTERVALS,
      seen: 100,
      contexts: Array.from({ length: PER_INTERVAL }, () => context(windows, random, (maxAct * (interval + random())) / INTERVALS)),
    })),
  };
}

function logitRecord(latent: number, random: () => number): LogitRecord {
  const side = (sign: number) => Array.from({ length: 10 }, (_, r) => ({ id: Math.floor(random() * VOCAB), token: `·w${(latent + r * 977) % VOCAB}`, value: sign * (5 - r / 4) }));
  const counts = new Uint32Array(40).map((_, b) => Math.round(VOCAB * Math.exp(-((b - 20) ** 2) / 40) / 11));
  return { latent, positive: side(1), negative: side(-1), histogram: { lo: -5, hi: 5, counts } };
}

function neighbourRecords(dSae: number, otherDSae: number, count: number, random: () => number): NeighbourRecord[] {
  return Array.from({ length: dSae }, (_, latent) => ({
    latent,
    others: Int32Array.from({ length: count }, () => Math.floor(random() * otherDSae)),
    cosines: Float32Array.from({ length: count }, (_, r) => 0.9 - r / 20),
  }));
}

function buildFamily(db: Db, sizeList: number[], random: () => number): void {
  const modelId = registerModel(db, { name: 'gpt2', nLayer: 12, dModel: 768, vocabSize: VOCAB });
  const datasetId = registerDataset(db, 'bench-corpus');
  const familyId = registerFamily(db, { path: '/bench/family', name: 'bench', modelId, hookName: 'blocks.8.hook_resid_pre' });
  const windows = corpus(random);
  const harvest = { datasetId, tokens: WINDOWS * (CONTEXT_SIZE - 1), topN: TOP_N, params: { contextSize: CONTEXT_SIZE, context: { before: BEFORE, after: AFTER }, intervals: INTERVALS, perInterval: PER_INTERVAL } };
  const saes = sizeList.map((dSae) => {
    const saeId = registerSae(db, { path: `/bench/family/${dSae}`, modelId, familyId, hookName: 'blocks.8.hook_resid_pre', architecture: 'topk', dIn: 768, dSae, k: 32 });
    beginHarvest(db, saeId, harvest);
    return { saeId, dSae };
  });
  for (const { saeId, dSae } of saes) {
    for (let from = 0; from < dSae; from += CHUNK) {
      const to = Math.min(dSae, from + CHUNK);
      const latents = Array.from({ length: to - from }, (_, i) => latentRecord(from + i, windows, random));
      writeLatents(db, saeId, latents, windows);
      writeLogitEffects(db, saeId, latents.map((l) => logitRecord(l.latent, random)));
    }
  }
  for (const a of saes) {
    for (const b of saes) writeNeighbours(db, a.saeId, b.saeId, neighbourRecords(a.dSae, b.dSae, a === b ? 10 : 5, random));
  }
  for (const { saeId } of saes) finishHarvest(db, saeId);
}

/** Bytes per latent of each table and index (SQLite's dbstat), largest first. */
function bytesByTable(db: Db, latents: number): Record<string, number> {
  const rows = db.prepare(`SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC`).all() as Array<{ name: string; bytes: number }>;
  return Object.fromEntries(rows.filter((r) => r.bytes / latents >= 1).map((r) => [r.name, Math.round(r.bytes / latents)]));
}

export async function run(): Promise<Record<string, unknown>> {
  const sizeList = sizes();
  const kept = process.env.SAE_BENCH_STORE_DB;
  const dir = kept ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'sae-bench-db-'));
  const file = kept ? path.resolve(kept) : path.join(dir!, 'features.db');
  const random = seededRandom(1);
  try {
    let build: { build_s: number; build_cpu_s: number } | null = null;
    if (!fs.existsSync(file)) {
      const cpuStart = process.cpuUsage();
      const started = performance.now();
      const db = openStore(file);
      buildFamily(db, sizeList, random);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const cpu = process.cpuUsage(cpuStart);
      build = { build_s: round((performance.now() - started) / 1000), build_cpu_s: round((cpu.user + cpu.system) / 1e6) };
    }

    const reader = openStore(file, { readonly: true });
    // Latents as written (0..n-1 of each SAE), so a database whose build was stopped part-way is measured for what it holds.
    const saes = reader.prepare(`SELECT s.id, count(*) AS dSae FROM saes s JOIN latents l ON l.sae_id = s.id GROUP BY s.id ORDER BY s.d_sae`).all() as Array<{ id: number; dSae: number }>;
    const latents = saes.reduce((sum, s) => sum + s.dSae, 0);
    const pages = Array.from({ length: 300 }, () => {
      const sae = saes[Math.floor(random() * saes.length)];
      return { saeId: sae.id, latent: Math.floor(random() * sae.dSae) };
    });
    const largest = saes[saes.length - 1];
    const page = timeQueries(pages.length, (i) => featurePage(reader, pages[i].saeId, pages[i].latent));
    const list = timeQueries(50, (i) => listLatents(reader, { saeId: largest.id, sort: 'density', descending: true, limit: 100, offset: i * 1000 }));
    const listFiltered = timeQueries(20, (i) => listLatents(reader, { saeId: largest.id, tokenText: `tok${1000 + i}`, limit: 100 }));
    const search = timeQueries(20, (i) => searchLatents(reader, `tok${1000 + i}`, { limit: 50 }));
    const bytes = fs.statSync(file).size;
    const breakdown = bytesByTable(reader, latents);
    reader.close();
    return {
      sizes: saes.map((s) => s.dSae).join(' + '),
      latents,
      contexts_per_latent: TOP_N + INTERVALS * PER_INTERVAL,
      db_mib: Math.round(bytes / 2 ** 20),
      bytes_per_latent: Math.round(bytes / latents),
      bytes_per_latent_by_table: breakdown,
      ...(build ?? { build: 'reused SAE_BENCH_STORE_DB' }),
      feature_page_ms: page,
      list_page_ms: list,
      list_filtered_ms: listFiltered,
      search_ms: search,
    };
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
