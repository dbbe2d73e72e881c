import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComputeHost } from '../../../src-main/jobs/host.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-host-'));
const host = new ComputeHost({ workspace: root });
afterAll(async () => {
  await host.close();
  rmSync(root, { recursive: true, force: true });
});

describe('ComputeHost', () => {
  it('runs the compute process under node and relays requests to it', async () => {
    const response = await host.call('workspace.list', {});
    expect(response).toMatchObject({ ok: true, result: { root, models: [], saes: [] } });
    expect(host.pid).not.toBe(process.pid);
    expect(await host.call('jobs.pause', { jobId: 'job-1' })).toEqual({ ok: false, error: { code: 'not_found', message: 'no job "job-1"; known jobs: none' } });
  });

  it('answers pending calls with an error when the process dies, and restarts on the next call', async () => {
    await host.start();
    const firstPid = host.pid!;
    // SIGKILL is delivered before the child can read the call, so the call is cut off.
    process.kill(firstPid, 'SIGKILL');
    const answer = await host.call('workspace.info', {});
    expect(answer).toEqual({ ok: false, error: { code: 'internal', message: 'the compute process exited (SIGKILL)' } });
    const again = await host.call('workspace.info', {});
    expect(again).toMatchObject({ ok: true, result: { root } });
    expect(host.pid).not.toBe(firstPid);
  });
});
