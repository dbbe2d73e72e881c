import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostics } from '../../../src-shared/api.js';
import { ComputeHost, computeEnv } from '../../../src-main/jobs/host.js';

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

describe('starting the compute process', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'sae-host-start-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  function script(name: string, body: string): string {
    const file = path.join(tmp, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('runs on the node the login shell finds when PATH lacks one (a desktop launch), and says which', async () => {
    const nvmNode = path.join(tmp, 'nvm/bin/node');
    mkdirSync(path.dirname(nvmNode), { recursive: true });
    symlinkSync(process.execPath, nvmNode);
    const shell = script('fake-zsh', `[ "$1" = "-ilc" ] && [ "$2" = "command -v node" ] || exit 2\necho "${nvmNode}"`);
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    const lines: string[] = [];
    const desktop = new ComputeHost({ workspace: root, env: { PATH: empty, SHELL: shell }, node: { self: null, locations: [] }, log: (line) => lines.push(line) });
    try {
      expect(await desktop.call('workspace.info', {})).toMatchObject({ ok: true, result: { root, node: { version: process.version } } });
      expect(desktop.node).toEqual({ path: nvmNode, version: process.version, source: `login shell ${shell}` });
      expect(lines).toEqual([`compute process ${desktop.pid} runs on node ${process.version} at ${nvmNode} (login shell ${shell})`]);
    } finally {
      await desktop.close();
    }
  });

  it('reports a node that cannot be spawned, and retries on the next call instead of failing forever', async () => {
    // Answers the version probe, then vanishes, so the fork itself fails (spawn emits only `error`).
    const vanishing = script('vanishing/node', `[ "$1" = "--version" ] && echo v22.0.0 && mv "$0" "$0.gone"`);
    const host2 = new ComputeHost({ workspace: root, node: { env: { SAE_EXPLORER_NODE: vanishing }, self: null } });
    try {
      const first = await host2.call('workspace.info', {});
      expect(first).toMatchObject({ ok: false, error: { code: 'internal' } });
      expect(!first.ok && first.error.message).toMatch(new RegExp(`^the compute process could not start: cannot run .*compute\\.ts with node v22\\.0\\.0 at ${vanishing} \\(SAE_EXPLORER_NODE\\): spawn ${vanishing} ENOENT$`));
      const second = await host2.call('workspace.info', {});
      expect(!second.ok && second.error.message).toBe(`the compute process could not start: cannot use ${vanishing} (SAE_EXPLORER_NODE): not found; point it at a Node.js ≥ 20.19.0 executable`);
      expect(existsSync(`${vanishing}.gone`)).toBe(true);
      symlinkSync(process.execPath, vanishing);
      expect(await host2.call('workspace.info', {})).toMatchObject({ ok: true, result: { root } });
    } finally {
      await host2.close();
    }
  });

  it('stops a compute process that never says ready and names the node it ran on', async () => {
    const silent = script('silent/node', '[ "$1" = "--version" ] && echo v22.0.0 && exit 0\nexec /bin/sleep 600');
    const host3 = new ComputeHost({ workspace: root, node: { env: { SAE_EXPLORER_NODE: silent }, self: null }, readyTimeoutMs: 300 });
    try {
      const answer = await host3.call('workspace.list', {});
      expect(answer).toEqual({ ok: false, error: { code: 'internal', message: `the compute process could not start: the compute process did not start within 0.3 s on node v22.0.0 at ${silent} (SAE_EXPLORER_NODE); it was stopped` } });
      // The silent process is killed, not left behind: wait for it to be gone.
      const pid = host3.pid!;
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          try {
            process.kill(pid, 0);
          } catch {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
      expect(host3.pid).toBeNull();
    } finally {
      await host3.close();
    }
  });
});

describe('the CUDA libraries folder setting', () => {
  const folder = path.join(root, 'cuda11');
  const cudnn = path.join(folder, 'nvidia', 'cudnn', 'lib');
  mkdirSync(cudnn, { recursive: true });

  it('is put in front of the compute process\'s LD_LIBRARY_PATH, from the option or else the environment', () => {
    const base = { LD_LIBRARY_PATH: '/usr/local/lib', SAE_BACKEND: 'wasm' };
    const env = computeEnv({ workspace: root, cudaLibraryDir: folder }, base);
    expect(env).toMatchObject({ SAE_BACKEND: 'wasm', SAE_EXPLORER_WORKSPACE: root, SAE_EXPLORER_CUDA_LIB_DIR: folder });
    expect(env.LD_LIBRARY_PATH).toBe(process.platform === 'win32' ? '/usr/local/lib' : `${folder}:${cudnn}:/usr/local/lib`);
    expect(computeEnv({ workspace: root }, { ...base, SAE_EXPLORER_CUDA_LIB_DIR: folder })).toEqual(env);
    expect(computeEnv({ workspace: root }, base)).toEqual({ ...base, SAE_EXPLORER_WORKSPACE: root });
  });

  it('reaches the spawned compute process, whose doctor searches it first', async () => {
    const withFolder = new ComputeHost({ workspace: root, cudaLibraryDir: folder, env: { SAE_BACKEND: 'wasm' } });
    try {
      const response = await withFolder.call('engine.doctor', {});
      expect(response.ok).toBe(true);
      const { cuda } = (response as { result: Diagnostics }).result;
      expect(cuda.libraryFolder).toBe(folder);
      expect(cuda.searched.slice(0, 2)).toEqual([folder, cudnn]);
      expect(cuda.problems.filter((p) => p.includes('not on this process'))).toEqual([]);
    } finally {
      await withFolder.close();
    }
  });
});

describe('ComputeHost with a compute process that does not answer', () => {
  const entry = fileURLToPath(new URL('./fake-compute.ts', import.meta.url));

  it('answers a call with an error once its deadline passes, keeping a process that still answers pings', async () => {
    const silent = new ComputeHost({ workspace: root, entry, env: { FAKE_COMPUTE_MODE: 'silent' }, callTimeoutMs: 200, heartbeatMs: 50, hungAfterMs: 60_000 });
    try {
      await silent.start();
      const pid = silent.pid;
      expect(await silent.call('workspace.list', {})).toEqual({
        ok: false,
        error: {
          code: 'internal',
          message: 'workspace.list: no answer from the compute process within 0.2 s (SAE_EXPLORER_CALL_TIMEOUT_S sets the limit); long work runs as jobs, so this request is stuck',
        },
      });
      expect(silent.pid).toBe(pid);
    } finally {
      await silent.close();
    }
  });

  it('refuses a limit in the environment that is not a positive number of seconds, naming it', () => {
    for (const name of ['SAE_EXPLORER_CALL_TIMEOUT_S', 'SAE_EXPLORER_HUNG_AFTER_S']) {
      process.env[name] = '0';
      try {
        expect(() => new ComputeHost({ workspace: root })).toThrow(`${name} must be a positive number of seconds, got "0"`);
      } finally {
        delete process.env[name];
      }
    }
  });

  it('kills a process that stops answering pings, answers its pending calls, and restarts it', async () => {
    const hung = new ComputeHost({ workspace: root, entry, env: { FAKE_COMPUTE_MODE: 'hang' }, callTimeoutMs: 600_000, heartbeatMs: 50, hungAfterMs: 1000 });
    try {
      await hung.start();
      const firstPid = hung.pid!;
      const [a, b] = await Promise.all([hung.call('workspace.list', {}), hung.call('jobs.list', {})]);
      const reason = 'the compute process stopped answering (it answered no ping for 1 s); it was killed and is restarted';
      expect([a, b]).toEqual([
        { ok: false, error: { code: 'internal', message: reason } },
        { ok: false, error: { code: 'internal', message: reason } },
      ]);
      expect(() => process.kill(firstPid, 0)).toThrow(/ESRCH/);
      await hung.start();
      expect(hung.pid).not.toBe(firstPid);
    } finally {
      await hung.close();
    }
  });
});
