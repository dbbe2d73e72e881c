// Runs the real `sae-explorer serve` (CLI, compute process, built renderer) on a fresh temporary
// workspace (or on a given one, left in place) and stops it afterwards, for the browser-mode e2e.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface ServeProcess {
  /** The URL `serve` printed, token included. */
  url: string;
  /** The same origin without the token. */
  origin: string;
  workspace: string;
  stop(): Promise<void>;
}

export const APP_ROOT = path.resolve(import.meta.dirname, '..', '..');
const URL_LINE = /sae-explorer: open (http:\/\/\S+)/;
const run = promisify(execFile);

/** Runs the real CLI (`sae-explorer ARGS`), e.g. to train or harvest in a served workspace; rejects with its stderr. */
export async function cli(...args: string[]): Promise<void> {
  await run(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), ...args], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
}

/** Copies the GPT-2 that ships with the app into `workspace`/models/ (as the demo does); returns its folder there. */
export function addShippedModel(workspace: string, name = 'sotu-gpt2'): string {
  const target = path.join(workspace, 'models', name);
  cpSync(path.join(APP_ROOT, 'resources', 'models', 'sotu-gpt2'), target, { recursive: true });
  return target;
}

/**
 * `env` is added to this process's environment for the server (e.g. HF_ENDPOINT of a fake Hub).
 * `workspace` serves an existing workspace, which stop() leaves as it was found; by default a fresh
 * temporary one, removed by stop(). `args` go to `serve` after those (more workspaces, a root). The
 * server's settings (its recent workspaces) live in a temporary config folder, never the user's.
 */
export async function startServe(env: Record<string, string> = {}, options: { workspace?: string; args?: string[] } = {}): Promise<ServeProcess> {
  const temporary = options.workspace === undefined;
  const workspace = options.workspace ?? mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-'));
  const config = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-config-'));
  const child = spawn(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), 'serve', '--workspace', workspace, '--port', '0', ...(options.args ?? [])], {
    cwd: APP_ROOT,
    env: { ...process.env, XDG_CONFIG_HOME: config, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = URL_LINE.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sae-explorer serve exited with ${code} before printing its URL:\n${output}`)));
  });
  return { url, origin: new URL(url).origin, workspace, stop: () => stop(child, temporary ? workspace : null, config) };
}

async function stop(child: ChildProcess, workspace: string | null, config: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (workspace !== null) rmSync(workspace, { recursive: true, force: true });
  rmSync(config, { recursive: true, force: true });
}
