// Starts `sae-explorer serve` on a fresh temporary workspace for the screens e2e and stops it
// afterwards: the real CLI, the real compute process, the built renderer (out/renderer).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ScreensServer {
  /** The URL `serve` printed, token included. */
  url: string;
  workspace: string;
  stop(): Promise<void>;
}

const APP_ROOT = path.resolve(import.meta.dirname, '..', '..');
const URL_LINE = /sae-explorer: open (http:\/\/\S+)/;

export async function startScreensServer(): Promise<ScreensServer> {
  const built = path.join(APP_ROOT, 'out', 'renderer', 'index.html');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` before the e2e`);
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-screens-'));
  const child = spawn(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), 'serve', '--workspace', workspace, '--port', '0'], {
    cwd: APP_ROOT,
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
  return { url, workspace, stop: () => stopServer(child, workspace) };
}

async function stopServer(child: ChildProcess, workspace: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(workspace, { recursive: true, force: true });
}
