// `npm start`'s launcher against stand-in Electron binaries (shell scripts): the environment it
// passes, and what it says when Chromium's sandbox aborts as it does on Ubuntu 23.10+.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runElectron, sandboxAdvice } from '../../../src-main/app/launcher.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeElectron(name: string, body: string): string {
  const file = path.join(tmp, name, 'electron');
  mkdirSync(path.dirname(file));
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

// Electron 41's message on Ubuntu 24.04 with the AppArmor restriction, followed by SIGTRAP.
const SANDBOX_ABORT =
  "[3916:1015/150812.041245:FATAL:setuid_sandbox_host.cc(163)] The SUID sandbox helper binary was found, but is not configured correctly. Rather than run without sandboxing I'm aborting now. You need to make sure that /app/node_modules/electron/dist/chrome-sandbox is owned by root and has mode 4755.";

describe('the launcher', () => {
  it('passes everything but an inherited ELECTRON_RUN_AS_NODE, and the arguments', async () => {
    const out = path.join(tmp, 'env.txt');
    const binary = fakeElectron('env', `echo "\${ELECTRON_RUN_AS_NODE-unset} $SAE_BACKEND $*" > "${out}"`);
    const exit = await runElectron(binary, ['/app', '--no-sandbox'], { cwd: tmp, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', SAE_BACKEND: 'wasm' } });
    expect(exit).toEqual({ code: 0, signal: null, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('unset wasm /app --no-sandbox\n');
  });

  it('recognises the sandbox abort, passes its stderr through and prints the fixes', async () => {
    const binary = fakeElectron('sandbox', `echo "${SANDBOX_ABORT}" >&2\nkill -TRAP $$`);
    const echoed: string[] = [];
    const exit = await runElectron(binary, ['/app'], { cwd: tmp, echo: (chunk) => echoed.push(chunk) });
    expect(exit).toEqual({ code: null, signal: 'SIGTRAP', stderr: `${SANDBOX_ABORT}\n` });
    expect(echoed.join('')).toBe(`${SANDBOX_ABORT}\n`);
    const advice = sandboxAdvice(exit, binary, 'linux')!;
    expect(advice).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
    expect(advice).toContain(`profile sae-explorer-electron "${binary}" flags=(unconfined) {`);
    expect(advice).toContain(`sudo chmod 4755 "${path.join(path.dirname(binary), 'chrome-sandbox')}"`);
    expect(advice).toContain('npm start -- --no-sandbox');
  });

  it('recognises the namespace variant of the abort too', () => {
    const stderr = '[1:2:FATAL:credentials.cc(132)] Check failed: . : Permission denied (13)\nNo usable sandbox! If you are running on Ubuntu 23.10+ ...';
    expect(sandboxAdvice({ code: null, signal: 'SIGTRAP', stderr }, '/e/electron', 'linux')).toContain('apparmor');
  });

  it('stays quiet about other failures, clean exits and other systems', () => {
    expect(sandboxAdvice({ code: 1, signal: null, stderr: 'Error: Cannot find module out/main/index.js' }, '/e/electron', 'linux')).toBeNull();
    expect(sandboxAdvice({ code: 0, signal: null, stderr: SANDBOX_ABORT }, '/e/electron', 'linux')).toBeNull();
    expect(sandboxAdvice({ code: null, signal: 'SIGTRAP', stderr: SANDBOX_ABORT }, '/e/electron', 'darwin')).toBeNull();
  });
});
