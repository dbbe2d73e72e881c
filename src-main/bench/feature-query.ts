// Feature-page query latency on a generated database of 65,536 latents × 40 contexts of 33 tokens
// (plus 20 logit tokens and 10 neighbours each): p50/p95 over random latents, and the list and
// search queries. The database is built in a temporary folder and deleted afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../src-shared/random.js';
import { openStore } from '../store/open.js';
import { featurePage, listLatents, searchLatents } from '../store/queries.js';
import type { LatentRecord, LogitRecord } from '../store/records.js';
import { beginHarvest, finishHarvest, registerDataset, registerModel, registerSae, writeLatents, writeLogitEffects, writeNeighbours } from '../store/writes.js';

const LATENTS = 65_536;
const CONTEXTS = 40;
const WIDTH = 33;
const CHUNK = 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function timeQueries(count: number, query: (i: number) => unknown): { p50: number; p95: number } {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    query(i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: Math.round(percentile(times, 0.5) * 100) / 100, p95: Math.round(percentile(times, 0.95) * 100) / 100 };
}

export async function run(): Promise<Record<string, number | string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-bench-db-'));
  const random = seededRandom(1);
  try {
    const file = path.join(dir, 'features.db');
    const db = openStore(file);
    const modelId = registerModel(db, { name: 'gpt2' });
    const saeId = registerSae(db, { path: '/bench/65536', modelId, hookName: 'blocks.8.hook_resid_post', architecture: 'topk', dIn: 768, dSae: LATENTS, k: 32 });
    beginHarvest(db, saeId, { datasetId: registerDataset(db, 'sotu'), tokens: 1_000_000, topN: CONTEXTS, params: { intervals: 10 } });
    const buildStarted = performance.now();
    for (let from = 0; from < LATENTS; from += CHUNK) {
      const latents: LatentRecord[] = [];
      const logits: LogitRecord[] = [];
      for (let latent = from; latent < from + CHUNK; latent++) {
        const maxAct = 1 + 20 * random();
        latents.push({
          latent,
          density: random() * 0.01,
          meanAct: maxAct / 3,
          maxAct,
          topTokens: `·tok${latent % 5000} ·the`,
          actHistogram: { logLo: -3, logHi: 3, counts: new Uint32Array(60).map(() => Math.floor(random() * 100)) },
          top: Array.from({ length: CONTEXTS }, (_, r) => ({
            tokens: Int32Array.from({ length: WIDTH }, () => Math.floor(random() * 50257)),
            acts: Float32Array.from({ length: WIDTH }, () => random() * maxAct),
            maxIndex: 24,
            value: maxAct * (1 - r / CONTEXTS),
            window: 0,
            position: 0,
          })),
          quantiles: [],
        });
        const side = (sign: number) => Array.from({ length: 10 }, (_, r) => ({ id: Math.floor(random() * 50257), token: `·w${latent + r}`, value: sign * (5 - r / 4) }));
        logits.push({ latent, positive: side(1), negative: side(-1), histogram: { lo: -5, hi: 5, counts: new Uint32Array(40).fill(1000) } });
      }
      writeLatents(db, saeId, latents);
      writeLogitEffects(db, saeId, logits);
      writeNeighbours(
        db,
        saeId,
        saeId,
        latents.map((l) => ({ latent: l.latent, others: Int32Array.from({ length: 10 }, () => Math.floor(random() * LATENTS)), cosines: new Float32Array(10).fill(0.5) })),
      );
    }
    finishHarvest(db, saeId);
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    db.close();

    const reader = openStore(file, { readonly: true });
    const ids = Array.from({ length: 300 }, () => Math.floor(random() * LATENTS));
    const page = timeQueries(ids.length, (i) => featurePage(reader, saeId, ids[i]));
    const list = timeQueries(50, (i) => listLatents(reader, { saeId, sort: 'density', descending: true, limit: 100, offset: i * 100 }));
    const search = timeQueries(10, (i) => searchLatents(reader, `tok${1000 + i}`, { limit: 50 }));
    reader.close();
    return {
      latents: LATENTS,
      contexts_per_latent: CONTEXTS,
      db_mib: Math.round(fs.statSync(file).size / 2 ** 20),
      build_s: Math.round(buildSeconds),
      feature_page_p50_ms: page.p50,
      feature_page_p95_ms: page.p95,
      list_page_p95_ms: list.p95,
      search_p95_ms: search.p95,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
