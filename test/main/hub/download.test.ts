import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadSnapshot } from '../../../src-main/hub/download.js';
import { gitBlobSha1, sha256, startHubServer, type HubServer } from '../../fixtures/hub-server.js';

const COMMIT = 'a'.repeat(40);
const CONFIG = '{"n_layer": 2}';
const WEIGHTS = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256));
const ENV_KEYS = ['HF_HUB_CACHE', 'HF_ENDPOINT', 'HF_HUB_OFFLINE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'] as const;

let cache: string;
let server: HubServer;
let savedEnv: Record<string, string | undefined>;

beforeEach(async () => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  cache = mkdtempSync(path.join(tmpdir(), 'hub-cache-'));
  process.env.HF_HUB_CACHE = cache;
  server = await startHubServer({
    models: {
      'org/tiny': { commit: COMMIT, files: { 'config.json': CONFIG, 'model.safetensors': WEIGHTS }, lfs: ['model.safetensors'] },
    },
    datasets: { 'org/corpus': { commit: 'b'.repeat(40), files: { 'data/train.txt': 'hello' } } },
    renamed: { tiny: 'org/tiny' },
  });
  process.env.HF_ENDPOINT = server.url;
});

afterEach(async () => {
  await server.close();
  rmSync(cache, { recursive: true, force: true });
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

const repoDir = () => path.join(cache, 'models--org--tiny');
const files = ['config.json', 'model.safetensors'];

describe('downloadSnapshot', () => {
  it('downloads into the huggingface_hub layout: blobs by etag, snapshot symlinks, refs/main', async () => {
    const progress: Array<[number, number, string]> = [];
    const snapshot = await downloadSnapshot('org/tiny', { files, onProgress: (d, t, f) => progress.push([d, t, f]) });
    expect(snapshot).toBe(path.join(repoDir(), 'snapshots', COMMIT));
    expect(readFileSync(path.join(snapshot, 'config.json'), 'utf8')).toBe(CONFIG);
    expect(readFileSync(path.join(snapshot, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
    expect(lstatSync(path.join(snapshot, 'model.safetensors')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(snapshot, 'model.safetensors'))).toBe(path.join('..', '..', 'blobs', sha256(WEIGHTS)));
    expect(readlinkSync(path.join(snapshot, 'config.json'))).toBe(path.join('..', '..', 'blobs', gitBlobSha1(CONFIG)));
    expect(readFileSync(path.join(repoDir(), 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(progress.at(-1)).toEqual([CONFIG.length + WEIGHTS.length, CONFIG.length + WEIGHTS.length, 'model.safetensors']);
    // The LFS file came from the CDN URL the hub redirected to.
    expect(server.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
      '/org/tiny/resolve/main/config.json',
      `/cdn/${sha256(WEIGHTS)}`,
    ]);
  });

  it('serves a complete cached snapshot when the hub cannot be reached', async () => {
    const first = await downloadSnapshot('org/tiny', { files });
    await server.close();
    expect(await downloadSnapshot('org/tiny', { files })).toBe(first);
  });

  it('does not fetch a blob again when it is already cached', async () => {
    await downloadSnapshot('org/tiny', { files });
    server.requests.length = 0;
    await downloadSnapshot('org/tiny', { files });
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('resumes a download cut midway with an HTTP Range request', async () => {
    server.dropNextGetMidway('model.safetensors');
    await expect(downloadSnapshot('org/tiny', { files })).rejects.toThrow(
      /download of model\.safetensors from http:\/\/127\.0\.0\.1:\d+\/cdn\/[0-9a-f]{64} stopped after 5000 of 10000 bytes .*run again to resume/,
    );
    const partial = path.join(repoDir(), 'blobs', `${sha256(WEIGHTS)}.incomplete`);
    expect(statSync(partial).size).toBe(5000);
    const progress: Array<[number, number]> = [];
    const snapshot = await downloadSnapshot('org/tiny', { files, onProgress: (done, total) => progress.push([done, total]) });
    expect(readFileSync(path.join(snapshot, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
    expect(server.requests.filter((r) => r.method === 'GET').map((r) => r.range)).toEqual([undefined, undefined, 'bytes=5000-']);
    expect(progress[0]).toEqual([5000, 10000]);
    expect(progress.at(-1)).toEqual([10000, 10000]);
    expect(existsSync(partial)).toBe(false);
  });

  it('honours an aborted signal and keeps the partial file for a later resume', async () => {
    const controller = new AbortController();
    server.dropNextGetMidway('model.safetensors');
    await expect(downloadSnapshot('org/tiny', { files, signal: controller.signal })).rejects.toThrow(/stopped after 5000/);
    controller.abort(new Error('user cancelled'));
    await expect(downloadSnapshot('org/tiny', { files, signal: controller.signal })).rejects.toThrow('user cancelled');
    expect(statSync(path.join(repoDir(), 'blobs', `${sha256(WEIGHTS)}.incomplete`)).size).toBe(5000);
  });

  it('deletes a blob whose bytes do not match its sha256 and says to run again', async () => {
    await server.close();
    server = await startHubServer({
      models: { 'org/tiny': { commit: COMMIT, files: { 'model.safetensors': WEIGHTS }, lfs: ['model.safetensors'] } },
      corrupt: ['model.safetensors'],
    });
    process.env.HF_ENDPOINT = server.url;
    await expect(downloadSnapshot('org/tiny', { files: ['model.safetensors'] })).rejects.toThrow(
      new RegExp(`model\\.safetensors: downloaded bytes have sha256 [0-9a-f]{64}, expected ${sha256(WEIGHTS)}; the partial file was deleted, run again`),
    );
    expect(existsSync(path.join(repoDir(), 'blobs', sha256(WEIGHTS)))).toBe(false);
    expect(existsSync(path.join(repoDir(), 'blobs', `${sha256(WEIGHTS)}.incomplete`))).toBe(false);
  });

  it('lets only one of two concurrent downloads fetch a blob; the other waits and shares it', async () => {
    const [a, b] = await Promise.all([downloadSnapshot('org/tiny', { files }), downloadSnapshot('org/tiny', { files })]);
    expect(a).toBe(b);
    expect(readFileSync(path.join(a, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
    expect(server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/cdn/'))).toHaveLength(1);
    expect(readdirSync(path.join(cache, '.locks', 'models--org--tiny'))).toEqual([]);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const locks = path.join(cache, '.locks', 'models--org--tiny');
    mkdirSync(locks, { recursive: true });
    writeFileSync(path.join(locks, `${sha256(WEIGHTS)}.lock`), '2147483646\n');
    const snapshot = await downloadSnapshot('org/tiny', { files });
    expect(readFileSync(path.join(snapshot, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
  });

  it('names the URL and the reason on a 404', async () => {
    await expect(downloadSnapshot('org/tiny', { files: ['nope.bin'] })).rejects.toThrow(
      /http:\/\/127\.0\.0\.1:\d+\/org\/tiny\/resolve\/main\/nope\.bin: 404 Not Found — the file does not exist in this repo/,
    );
    await expect(downloadSnapshot('org/missing', { files })).rejects.toThrow(/org\/missing\/resolve\/main\/config\.json: 404 Not Found — the repo or file does not exist \(check the name\)/);
    expect(existsSync(path.join(cache, 'models--org--missing'))).toBe(false);
  });

  it('accepts a 404 on an optional file and remembers it for offline use', async () => {
    const snapshot = await downloadSnapshot('org/tiny', { files: ['config.json'], optionalFiles: ['tokenizer.json'] });
    expect(existsSync(path.join(snapshot, 'tokenizer.json'))).toBe(false);
    expect(existsSync(path.join(repoDir(), '.no_exist', COMMIT, 'tokenizer.json'))).toBe(true);
    process.env.HF_HUB_OFFLINE = '1';
    expect(await downloadSnapshot('org/tiny', { files: ['config.json'], optionalFiles: ['tokenizer.json'] })).toBe(snapshot);
  });

  it('offline: uses the cache without any request, and says so when it is not cached', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    await expect(downloadSnapshot('org/tiny', { files })).rejects.toThrow(
      /HF_HUB_OFFLINE is set and org\/tiny@main is not fully cached in .*models--org--tiny \(missing config\.json, model\.safetensors\)/,
    );
    expect(server.requests).toEqual([]);
    delete process.env.HF_HUB_OFFLINE;
    const snapshot = await downloadSnapshot('org/tiny', { files });
    server.requests.length = 0;
    process.env.HF_HUB_OFFLINE = 'true';
    expect(await downloadSnapshot('org/tiny', { files })).toBe(snapshot);
    expect(server.requests).toEqual([]);
  });

  it('gives a one-line reason when the hub cannot be reached and nothing is cached', async () => {
    await server.close();
    await expect(downloadSnapshot('org/tiny', { files })).rejects.toThrow(
      new RegExp(`^cannot reach ${server.url.replace(/[.]/g, '\\.')}: .*ECONNREFUSED.* \\(set HF_ENDPOINT or use a local folder\\)$`),
    );
  });

  it('follows a renamed repo, sends HF_TOKEN to the hub only, and reads datasets from /datasets/', async () => {
    process.env.HF_TOKEN = 'hf_secret';
    const snapshot = await downloadSnapshot('tiny', { files });
    expect(snapshot).toBe(path.join(cache, 'models--tiny', 'snapshots', COMMIT));
    const auth = Object.fromEntries(server.requests.map((r) => [`${r.method} ${r.path}`, r.authorization]));
    expect(auth['HEAD /tiny/resolve/main/config.json']).toBe('Bearer hf_secret');
    expect(auth['HEAD /org/tiny/resolve/main/config.json']).toBe('Bearer hf_secret');
    expect(auth[`GET /cdn/${sha256(WEIGHTS)}`]).toBeUndefined();
    const dataset = await downloadSnapshot('org/corpus', { repoType: 'dataset', files: ['data/train.txt'] });
    expect(dataset).toBe(path.join(cache, 'datasets--org--corpus', 'snapshots', 'b'.repeat(40)));
    expect(readFileSync(path.join(dataset, 'data', 'train.txt'), 'utf8')).toBe('hello');
    expect(readlinkSync(path.join(dataset, 'data', 'train.txt'))).toBe(path.join('..', '..', '..', 'blobs', gitBlobSha1('hello')));
  });

  it('asks for HF_TOKEN on a 401', async () => {
    await server.close();
    server = await startHubServer({ token: 'right', models: { 'org/tiny': { commit: COMMIT, files: { 'config.json': CONFIG } } } });
    process.env.HF_ENDPOINT = server.url;
    process.env.HF_TOKEN = 'wrong';
    await expect(downloadSnapshot('org/tiny', { files: ['config.json'] })).rejects.toThrow(/401 Unauthorized — the repo is private or gated; .*set HF_TOKEN/);
    process.env.HF_TOKEN = 'right';
    expect(await downloadSnapshot('org/tiny', { files: ['config.json'] })).toBe(path.join(repoDir(), 'snapshots', COMMIT));
  });

  it('rejects repo ids and file names that could escape the cache', async () => {
    await expect(downloadSnapshot('../etc', { files })).rejects.toThrow(/"\.\.\/etc" is not a valid Hugging Face repo id/);
    await expect(downloadSnapshot('org/tiny', { files: ['../../x'] })).rejects.toThrow(/"\.\.\/\.\.\/x" is not a valid file path inside a repo/);
  });
});
