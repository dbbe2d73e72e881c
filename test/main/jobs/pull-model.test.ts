// workspace.pullModel takes a Hub name and only a Hub name: a folder of the same name wherever the
// compute process happens to run is never linked into the workspace in its place.
import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { startHubServer, type HubServer } from '../../fixtures/hub-server.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-pull-')));
const ENV_KEYS = ['HF_HUB_CACHE', 'HF_ENDPOINT', 'HF_HUB_OFFLINE'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const savedCwd = process.cwd();
let hub: HubServer;
let dispatcher: Dispatcher;

beforeAll(async () => {
  hub = await startHubServer({ models: { 'acme/gpt': { commit: 'c'.repeat(40), files: { 'config.json': '{"from":"hub"}', 'model.safetensors': 'weights' } } } });
  process.env.HF_HUB_CACHE = path.join(base, 'cache');
  process.env.HF_ENDPOINT = hub.url;
  delete process.env.HF_HUB_OFFLINE;
  // A local folder spelled like the Hub name, in the folder the process runs in.
  const cwd = path.join(base, 'cwd');
  mkdirSync(path.join(cwd, 'acme', 'gpt'), { recursive: true });
  writeFileSync(path.join(cwd, 'acme', 'gpt', 'config.json'), '{"from":"cwd"}');
  process.chdir(cwd);
  dispatcher = new Dispatcher({ workspace: path.join(base, 'workspace'), warn: () => {} });
});

afterAll(async () => {
  process.chdir(savedCwd);
  await dispatcher.close();
  await hub.close();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  rmSync(base, { recursive: true, force: true });
});

async function finished(jobId: string): Promise<JobInfo> {
  for (;;) {
    const response = await dispatcher.call('jobs.list', {});
    const job = response.ok ? (response.result as JobInfo[]).find((j) => j.id === jobId)! : null;
    if (job && ['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('workspace.pullModel', () => {
  it('pulls the Hub model even when a folder of that name exists in the working directory', async () => {
    const response = await dispatcher.call('workspace.pullModel', { name: 'acme/gpt' });
    if (!response.ok) throw new Error(response.error.message);
    const job = await finished((response.result as { jobId: string }).jobId);
    expect([job.state, job.error]).toEqual(['done', null]);
    const link = readlinkSync(path.join(base, 'workspace', 'models', 'acme--gpt'));
    expect(link.startsWith(path.join(base, 'cache', 'models--acme--gpt', 'snapshots'))).toBe(true);
    expect(hub.requests.some((r) => r.path.includes('/acme/gpt/resolve/'))).toBe(true);
  });

  it('refuses names that are paths, with bad_request naming the name', async () => {
    for (const name of ['acme/..', '../gpt', 'a--b', '.hidden']) {
      const response = await dispatcher.call('workspace.pullModel', { name });
      expect(response.ok, name).toBe(false);
      if (!response.ok) {
        expect(response.error.code).toBe('bad_request');
        expect(response.error.message).toContain(JSON.stringify(name));
      }
    }
  });
});
