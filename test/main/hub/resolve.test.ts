import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveDatasetFiles, resolveModelDir } from '../../../src-main/hub/resolve.js';
import { findCachedSnapshot, hubCacheDir } from '../../../src-main/hub/cache.js';
import { startHubServer, type HubServer } from '../../fixtures/hub-server.js';

const COMMIT = 'c'.repeat(40);
const ENV_KEYS = ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'XDG_CACHE_HOME', 'HF_ENDPOINT', 'HF_HUB_OFFLINE', 'HF_TOKEN'] as const;

let work: string;
let server: HubServer;
let savedEnv: Record<string, string | undefined>;

beforeEach(async () => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  work = mkdtempSync(path.join(tmpdir(), 'hub-resolve-'));
  process.env.HF_HUB_CACHE = path.join(work, 'cache');
  server = await startHubServer({
    models: { gpt2: { commit: COMMIT, files: { 'config.json': '{}', 'model.safetensors': 'weights', 'vocab.json': '{}', 'merges.txt': '#' } } },
    datasets: { 'org/corpus': { commit: 'd'.repeat(40), files: { 'a.txt': 'A', 'b/c.txt': 'C' } } },
  });
  process.env.HF_ENDPOINT = server.url;
});

afterEach(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('hub cache location', () => {
  it('honours HF_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME', () => {
    expect(hubCacheDir()).toBe(path.join(work, 'cache'));
    delete process.env.HF_HUB_CACHE;
    process.env.HF_HOME = path.join(work, 'hf');
    expect(hubCacheDir()).toBe(path.join(work, 'hf', 'hub'));
    delete process.env.HF_HOME;
    process.env.XDG_CACHE_HOME = path.join(work, 'xdg');
    expect(hubCacheDir()).toBe(path.join(work, 'xdg', 'huggingface', 'hub'));
  });

  it('finds a snapshot through refs/<revision> or a commit hash, and nothing otherwise', () => {
    expect(findCachedSnapshot('openai-community/gpt2')).toBeNull();
    const repo = path.join(work, 'cache', 'models--openai-community--gpt2');
    mkdirSync(path.join(repo, 'refs'), { recursive: true });
    mkdirSync(path.join(repo, 'snapshots', COMMIT), { recursive: true });
    writeFileSync(path.join(repo, 'refs', 'main'), `${COMMIT}\n`);
    expect(findCachedSnapshot('openai-community/gpt2')).toBe(path.join(repo, 'snapshots', COMMIT));
    expect(findCachedSnapshot('openai-community/gpt2', { revision: COMMIT })).toBe(path.join(repo, 'snapshots', COMMIT));
    expect(findCachedSnapshot('openai-community/gpt2', { revision: 'v2' })).toBeNull();
    expect(findCachedSnapshot('openai-community/gpt2', { repoType: 'dataset' })).toBeNull();
  });
});

describe('resolveModelDir', () => {
  it('takes an existing folder as it is, and requires config.json in it', async () => {
    const dir = path.join(work, 'my-model');
    mkdirSync(dir);
    await expect(resolveModelDir(dir)).rejects.toThrow(/model folder .*my-model has no config\.json/);
    writeFileSync(path.join(dir, 'config.json'), '{}');
    expect(await resolveModelDir(dir)).toBe(dir);
    expect(server.requests).toEqual([]);
  });

  it('rejects a name that is neither a folder nor a Hub id', async () => {
    await expect(resolveModelDir('./no/such/dir')).rejects.toThrow(/model "\.\/no\/such\/dir" is neither an existing folder nor a Hub model name/);
  });

  it('downloads a Hub model with its tokenizer files (tokenizer.json may be absent), then finds it in the cache offline', async () => {
    const dir = await resolveModelDir('gpt2');
    expect(dir).toBe(path.join(work, 'cache', 'models--gpt2', 'snapshots', COMMIT));
    expect(readFileSync(path.join(dir, 'model.safetensors'), 'utf8')).toBe('weights');
    expect(readFileSync(path.join(dir, 'merges.txt'), 'utf8')).toBe('#');
    await server.close();
    process.env.HF_HUB_OFFLINE = '1';
    expect(await resolveModelDir('gpt2')).toBe(dir);
  });

  it('says where it looked when the model is not cached and may not be downloaded', async () => {
    await expect(resolveModelDir('gpt2', { download: false })).rejects.toThrow(/model gpt2: no folder "gpt2" and no cached snapshot in .*models--gpt2 \(downloading was not allowed\)/);
    process.env.HF_HUB_OFFLINE = '1';
    await expect(resolveModelDir('distilgpt2')).rejects.toThrow(/model distilgpt2: .*models--distilgpt2, and HF_HUB_OFFLINE is set/);
    expect(server.requests).toEqual([]);
  });
});

describe('resolveDatasetFiles', () => {
  it('returns local paths in the order asked, downloading once', async () => {
    const paths = await resolveDatasetFiles('org/corpus', ['b/c.txt', 'a.txt']);
    expect(paths.map((p) => readFileSync(p, 'utf8'))).toEqual(['C', 'A']);
    expect(paths[0]).toBe(path.join(work, 'cache', 'datasets--org--corpus', 'snapshots', 'd'.repeat(40), 'b', 'c.txt'));
    server.requests.length = 0;
    expect(await resolveDatasetFiles('org/corpus', ['a.txt'])).toEqual([paths[1]]);
    expect(server.requests).toEqual([]);
  });
});
