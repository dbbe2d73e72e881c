// How `npm start` runs the Electron binary: with an environment Electron can start in, its stderr
// passed through but also kept, so that when Chromium's sandbox aborts before any app code runs
// (Ubuntu 23.10+ restricts the unprivileged user namespaces it needs) the launcher can say why and
// how to fix it instead of leaving a bare "Trace/breakpoint trap".
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface ElectronExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what Electron wrote to stderr (it was also passed through). */
  stderr: string;
}

const STDERR_KEPT = 16 * 1024;

/**
 * The environment Electron gets: the caller's, without ELECTRON_RUN_AS_NODE, which an editor or a
 * parent Electron tool may have exported and which would make the binary run as plain Node, where
 * `require('electron')` is a path string and main.ts fails at once.
 */
export function electronEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ELECTRON_RUN_AS_NODE: _dropped, ...rest } = env;
  return rest;
}

export function runElectron(
  binary: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; echo?: (chunk: string) => void },
): Promise<ElectronExit> {
  const echo = options.echo ?? ((chunk: string) => void process.stderr.write(chunk));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: options.cwd, env: electronEnv(options.env ?? process.env), stdio: ['inherit', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      echo(chunk);
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

// What Chromium prints when its Linux sandbox cannot start: the setuid helper is not root-owned 4755
// (setuid_sandbox_host.cc), or no sandbox is usable because user namespaces are denied.
const SANDBOX_FAILURE = /chrome-sandbox|SUID sandbox|setuid sandbox|No usable sandbox|user namespace|credentials\.cc.*(Permission denied|Operation not permitted)/i;

/** The fix to print when Electron died on its Linux sandbox helper; null for any other exit. */
export function sandboxAdvice(exit: ElectronExit, binary: string, platform: NodeJS.Platform = process.platform): string | null {
  if (platform !== 'linux' || exit.code === 0 || !SANDBOX_FAILURE.test(exit.stderr)) return null;
  const helper = path.join(path.dirname(binary), 'chrome-sandbox');
  return [
    '',
    'sae-explorer: Electron stopped at its sandbox helper before the app started. On Ubuntu 23.10 and later',
    'AppArmor forbids the unprivileged user namespaces Chromium sandboxes the window with. Fixes, best first:',
    `  1. An AppArmor profile that lets this Electron binary use them: save as /etc/apparmor.d/sae-explorer-electron`,
    '       abi <abi/4.0>,',
    '       include <tunables/global>',
    `       profile sae-explorer-electron "${binary}" flags=(unconfined) {`,
    '         userns,',
    '       }',
    '     then run: sudo apparmor_parser -r /etc/apparmor.d/sae-explorer-electron',
    `  2. Or make the setuid helper usable: sudo chown root:root "${helper}" && sudo chmod 4755 "${helper}"`,
    '  3. Or lift the restriction for every program (weakens a kernel hardening machine-wide):',
    '       sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    '     (until reboot; to keep it, put kernel.apparmor_restrict_unprivileged_userns=0 in /etc/sysctl.d/60-apparmor-namespace.conf)',
    '  4. Last resort: npm start -- --no-sandbox. The window then runs without Chromium\'s sandbox, so a',
    '     bug in the page or in Chromium could act with all of your user\'s rights.',
    '',
  ].join('\n');
}
