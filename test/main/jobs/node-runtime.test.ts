// Finding node for the compute process the way a desktop app must: with the minimal PATH a GUI
// launch gets, through the login shell, version managers' folders and the user's own choice.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findNode, meetsMinimum, nativeModuleAbi, wellKnownNodes } from '../../../src-main/jobs/node-runtime.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-node-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(tmp, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A real node under a folder a GUI app's PATH does not include. */
function realNodeIn(dir: string): string {
  const file = path.join(tmp, dir, 'node');
  mkdirSync(path.dirname(file), { recursive: true });
  symlinkSync(process.execPath, file);
  return file;
}

const nvmNode = realNodeIn('nvm/versions/node/v22.11.0/bin');
const emptyDir = path.join(tmp, 'empty');
mkdirSync(emptyDir);
/** What a login shell with nvm in its profile answers, after a banner. */
const fakeShell = script('fake-zsh', `[ "$1" = "-ilc" ] && [ "$2" = "command -v node" ] || exit 2\necho "Last login: today"\necho "${nvmNode}"`);
const oldNode = script('old/node', 'echo v18.19.0');

describe('findNode', () => {
  it('finds node through the login shell when PATH lacks it', async () => {
    const found = await findNode({ env: { PATH: emptyDir, SHELL: fakeShell }, self: null, locations: [] });
    expect(found).toEqual({ path: nvmNode, version: process.version, source: `login shell ${fakeShell}` });
  });

  it('prefers SAE_EXPLORER_NODE and the setting, and says what is wrong with them rather than guessing', async () => {
    const env = { PATH: emptyDir, SHELL: fakeShell };
    expect(await findNode({ env: { ...env, SAE_EXPLORER_NODE: nvmNode }, self: process.execPath })).toMatchObject({ path: nvmNode, source: 'SAE_EXPLORER_NODE' });
    await expect(findNode({ env: { ...env, SAE_EXPLORER_NODE: oldNode }, self: process.execPath })).rejects.toThrow(
      `cannot use ${oldNode} (SAE_EXPLORER_NODE): v18.19.0 is older than 20.19.0; point it at a Node.js ≥ 20.19.0 executable`,
    );
    await expect(findNode({ env, setting: path.join(tmp, 'gone/node'), self: process.execPath })).rejects.toThrow(`${path.join(tmp, 'gone/node')} (the node setting): not found`);
    await expect(findNode({ env, setting: 'node', self: null })).rejects.toThrow('node (the node setting): not an absolute path');
  });

  it('skips a remembered node that has gone and falls through to the next source', async () => {
    const found = await findNode({ env: { PATH: path.dirname(nvmNode), SHELL: path.join(tmp, 'no-shell') }, remembered: path.join(tmp, 'was/node'), self: null, locations: [] });
    expect(found).toMatchObject({ path: nvmNode, source: 'PATH' });
  });

  it('refuses a node older than 20.19 and lists every candidate when none qualifies', async () => {
    const error = await findNode({ env: { PATH: `${emptyDir}:${path.dirname(oldNode)}`, SHELL: path.join(tmp, 'no-shell') }, self: null, locations: [] }).catch((err: Error) => err.message);
    expect(error).toBe(
      `no Node.js ≥ 20.19.0 found for the compute process; tried ${path.join(emptyDir, 'node')} (PATH): not found; ${oldNode} (PATH): v18.19.0 is older than 20.19.0. ` +
        'Install Node.js 20.19 or later (https://nodejs.org), or set SAE_EXPLORER_NODE to its path.',
    );
  });

  it("refuses a node whose native-module ABI is not the one better-sqlite3 was built for", async () => {
    const env = { PATH: path.dirname(nvmNode), SHELL: path.join(tmp, 'no-shell') };
    expect(await findNode({ env, self: null, locations: [], abi: process.versions.modules })).toMatchObject({ path: nvmNode, source: 'PATH' });
    await expect(findNode({ env, self: null, locations: [], abi: '1' })).rejects.toThrow(
      `${nvmNode} (PATH): ${process.version} has native-module ABI ${process.versions.modules}, but better-sqlite3 was built for ABI 1; use the Node.js that ran npm install, or rebuild it with this one (npm rebuild better-sqlite3)`,
    );
  });

  it("reads the ABI better-sqlite3 was built for from its binary", () => {
    // npm install built it for the node running these tests.
    expect(nativeModuleAbi(path.resolve('.'))).toBe(process.versions.modules);
    const packaged = path.join(tmp, 'packaged');
    mkdirSync(path.join(packaged, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    writeFileSync(path.join(packaged, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), Buffer.from('\x7fELF\0\0node_register_module_v127\0napi', 'latin1'));
    expect(nativeModuleAbi(packaged)).toBe('127');
    expect(nativeModuleAbi(path.join(tmp, 'nothing-here'))).toBeUndefined();
  });

  it('compares versions numerically', () => {
    expect(meetsMinimum('v20.18.3')).toBe(false);
    expect(meetsMinimum('v20.19.0')).toBe(true);
    expect(meetsMinimum('v20.100.0')).toBe(true);
    expect(meetsMinimum('v21.0.0')).toBe(true);
    expect(meetsMinimum('v9.99.99')).toBe(false);
    expect(meetsMinimum('20.19.0')).toBe(false);
  });

  it("tries the version managers' folders newest first", () => {
    const home = path.join(tmp, 'home');
    for (const v of ['v20.19.1', 'v9.0.0', 'v22.2.0', 'not-a-version']) mkdirSync(path.join(home, '.nvm/versions/node', v, 'bin'), { recursive: true });
    mkdirSync(path.join(home, '.local/share/fnm/node-versions/v24.0.0/installation/bin'), { recursive: true });
    const found = wellKnownNodes('linux', {}, home);
    expect(found.filter((c) => c.source === 'nvm').map((c) => c.path)).toEqual(
      ['v22.2.0', 'v20.19.1', 'v9.0.0'].map((v) => path.join(home, '.nvm/versions/node', v, 'bin/node')),
    );
    expect(found).toContainEqual({ path: path.join(home, '.local/share/fnm/node-versions/v24.0.0/installation/bin/node'), source: 'fnm' });
    expect(found).toContainEqual({ path: '/opt/homebrew/bin/node', source: 'Homebrew' });
    expect(found).toContainEqual({ path: path.join(home, '.volta/bin/node'), source: 'Volta' });
    expect(wellKnownNodes('win32', { ProgramFiles: 'C:\\Program Files' }, 'C:\\Users\\ada')).toContainEqual({ path: 'C:\\Program Files\\nodejs\\node.exe', source: 'Node.js installer' });
  });
});
