// The desktop shell under Electron: the preload's contract is wired to the compute process, and the
// window's security settings hold. Needs the Electron binary; where it is not installed these tests
// are reported as skipped with the reason, never as passed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { findElectronBinary } from '../src-main/app/electron-binary.js';
import { APP_ROOT } from './helpers/serve.js';

const binary = findElectronBinary(APP_ROOT);
const skipReason = 'missing' in binary ? `SKIPPED, Electron binary not installed: ${binary.missing}` : null;
test.skip(skipReason !== null, skipReason ?? '');
// The list reporter shows skips without their reason; say it where the run is read.
if (skipReason) console.log(`e2e/electron.spec.ts: ${skipReason}`);

let app: ElectronApplication;
let page: Page;
let workspace: string;

test.beforeAll(async () => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-electron-'));
  app = await electron.launch({
    executablePath: (binary as { binary: string }).binary,
    args: [APP_ROOT],
    env: { ...process.env, SAE_EXPLORER_WORKSPACE: workspace },
  });
  page = await app.firstWindow();
});

test.afterAll(async () => {
  await app?.close();
  rmSync(workspace, { recursive: true, force: true });
});

test('the renderer reaches the compute process through the preload contract only', async () => {
  const listing = await page.evaluate(async () => {
    const bridge = (window as unknown as { saeExplorer: { workspace: { list(): Promise<{ ok: boolean; result: { root: string } }> } } }).saeExplorer;
    return bridge.workspace.list();
  });
  expect(listing).toMatchObject({ ok: true, result: { root: workspace } });
  const globals = await page.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    ipcRenderer: typeof (globalThis as { ipcRenderer?: unknown }).ipcRenderer,
    bridgeKeys: Object.keys((window as unknown as { saeExplorer: object }).saeExplorer).sort(),
  }));
  expect(globals).toEqual({ require: 'undefined', process: 'undefined', ipcRenderer: 'undefined', bridgeKeys: ['features', 'harvest', 'inspect', 'jobs', 'onEvent', 'training', 'workspace'] });
  await page.screenshot({ path: 'test-results/electron-home.png' });
});

test('the window is isolated and sandboxed, and cannot navigate away or open windows', async () => {
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const contents = BrowserWindow.getAllWindows()[0]!.webContents;
    return (contents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
  });
  expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
  const before = page.url();
  await page.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await page.waitForTimeout(500);
  expect(page.url()).toBe(before);
  const opened = await page.evaluate(() => window.open('https://example.com/') === null);
  expect(opened).toBe(true);
  expect(app.windows()).toHaveLength(1);
});
