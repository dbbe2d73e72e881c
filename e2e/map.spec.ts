// The map screen end to end in browser mode on Debian's Chromium (WebGL through SwiftShader): a
// tiny model, a three-size family trained, harvested and UMAPped by the real CLI, served by the real
// server and compute process. The MapScreen component is mounted on its own page (built here with
// Vite), so this spec does not depend on how the app's tabs are wired. Then: hover a point, select
// it, read its feature-splitting links, open it, search, 2D/3D, and switch to the map laid out by
// activation profiles and back. The map at 344k points has its own
// spec (map-336k.spec.ts). Screenshots go to test-results/map-*.png.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';

const APP_ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(APP_ROOT, 'bin', 'sae-explorer.mjs');
const MODEL = 'tiny';
const FAMILY = 'fam';
const SIZES = [128, 256, 512];
const SETUP_TIMEOUT = 900_000;

test.describe.configure({ mode: 'serial' });

let workspace: string;
let harnessDir: string;
let server: { url: string; child: ChildProcess };
let page: Page;

const run = promisify(execFile);

async function cli(...args: string[]): Promise<void> {
  await run(process.execPath, [CLI, ...args], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
}

/** tiny model → family of three sizes → harvest → joint UMAPs (decoder and activation bases), laid out as a workspace. */
async function buildWorkspace(root: string): Promise<void> {
  for (const dir of ['models', 'datasets', 'saes', 'db']) mkdirSync(path.join(root, dir), { recursive: true });
  const model = path.join(root, 'models', MODEL);
  const family = path.join(root, 'saes', FAMILY);
  const db = path.join(root, 'db', 'features.sqlite');
  await cli('model', 'create-tiny', '--out', model);
  await cli('train', '--model', model, '--hook', 'blocks.1.hook_resid_post', '--latents', SIZES.join(','), '--k', '8', '--tokens', '8192', '--batch', '1024', '--out', family, '--eval-tokens', '0');
  await cli('harvest', '--model', model, '--sae', family, '--tokens', '4096', '--db', db, '--top', '8');
  await cli('umap', '--db', db, '--family', FAMILY);
  await cli('umap', '--db', db, '--family', FAMILY, '--basis', 'activation');
}

/**
 * A page that mounts only MapScreen with the browser transport, built by Vite into `dir`/out. Where
 * the screen opens a feature, the page records it on <body data-opened> for the test to read.
 */
async function buildHarness(dir: string): Promise<string> {
  const src = path.join(APP_ROOT, 'src-renderer', 'src');
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>Map</title><style>html, body, #app { height: 100%; }</style></head>' +
      '<body><div id="app"></div><script type="module" src="./main.ts"></script></body></html>',
  );
  writeFileSync(
    path.join(dir, 'main.ts'),
    [
      `import { mount } from 'svelte';`,
      `import MapScreen from '${src}/screens/map/MapScreen.svelte';`,
      `import { api } from '${src}/lib/transport/index.js';`,
      `import '${src}/app.css';`,
      `const [model, family] = location.hash.slice(1).split('/').map(decodeURIComponent);`,
      `mount(MapScreen, { target: document.getElementById('app'), props: { api, model, family, onOpenFeature: (id) => { document.body.dataset.opened = JSON.stringify(id); } } });`,
    ].join('\n'),
  );
  const { build } = await import('vite');
  const { svelte } = await import('@sveltejs/vite-plugin-svelte');
  const outDir = path.join(dir, 'out');
  await build({ root: dir, configFile: false, logLevel: 'error', plugins: [svelte()], build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 2000 } });
  return outDir;
}

async function startServer(root: string, rendererDir: string): Promise<{ url: string; child: ChildProcess }> {
  const script = `const { serveUntilSignal } = await import(${JSON.stringify(path.join(APP_ROOT, 'src-main', 'server', 'serve.ts'))});
await serveUntilSignal({ workspace: ${JSON.stringify(root)}, rendererDir: ${JSON.stringify(rendererDir)}, port: 0 });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /sae-explorer: open (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the map e2e server exited with ${code} before printing its URL:\n${output}`)));
  });
  return { url, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function canvasCentre(): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('map-canvas').boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(APP_ROOT, 'test-results', `map-${name}.png`) });
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(SETUP_TIMEOUT);
  workspace = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-map-'));
  // Inside the app's tree so the harness resolves svelte and three from its node_modules.
  mkdirSync(path.join(APP_ROOT, 'node_modules', '.cache'), { recursive: true });
  harnessDir = mkdtempSync(path.join(APP_ROOT, 'node_modules', '.cache', 'map-e2e-'));
  const [rendererDir] = await Promise.all([buildHarness(harnessDir), buildWorkspace(workspace)]);
  server = await startServer(workspace, rendererDir);
  page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
});

test.afterAll(async () => {
  await page?.close();
  if (server) await stopServer(server.child);
  for (const dir of [workspace, harnessDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test('shows every latent of the family, coloured by size with a legend', async () => {
  await page.goto(`${server.url}#${MODEL}/${FAMILY}`);
  const total = SIZES.reduce((a, b) => a + b, 0);
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-points', String(total));
  await expect(page.getByTestId('map-count')).toContainText(`${total} latents`);
  await expect(page.getByTestId('map-legend')).toHaveText(/d_sae\s*128\s*256\s*512/);
  await screenshot('3d');
});

test('search lights up matches; choosing one selects it and lists its parents and children', async () => {
  await page.getByTestId('map-search').fill('the');
  await page.getByTestId('map-search').press('Enter');
  await expect(page.getByTestId('map-search-count')).toHaveText(/^[1-9]\d* on this map/);
  const first = page.getByTestId('map-search-results').getByRole('button').first();
  const chosen = (await first.locator('.id').textContent())!.trim();
  await first.click();
  await expect(page.getByTestId('map-selected-title')).toHaveText(chosen);
  const links = page.getByTestId('map-links').getByRole('button');
  await expect(links.first()).toBeVisible();
  // Each link names its relation by size: smaller dictionaries hold the parent, larger the children.
  const size = Number(/^fam\/(\d+)/.exec(chosen)![1]);
  for (const text of await links.allTextContents()) {
    const [, relation, other] = /(parent|child) in (\d+)/.exec(text)!;
    expect(relation).toBe(Number(other) < size ? 'parent' : 'child');
  }
  await screenshot('search-selected');
});

test('hovering the selected point shows its top tokens; clicking it again opens its page', async () => {
  const chosen = (await page.getByTestId('map-selected-title').textContent())!.trim();
  const [sae, latent] = chosen.split(' #');
  // Choosing a result centres the view on it, so the selected point ends up under the canvas centre.
  const centre = await canvasCentre();
  await expect(async () => {
    await page.mouse.move(centre.x + 3, centre.y + 1);
    await page.mouse.move(centre.x, centre.y);
    await expect(page.getByTestId('map-tooltip')).toContainText(chosen, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByTestId('map-tooltip-tokens').locator('code').first()).toBeVisible();
  await screenshot('hover');
  await page.mouse.click(centre.x, centre.y);
  await expect(page.locator('body')).toHaveAttribute('data-opened', JSON.stringify({ model: MODEL, sae, latent: Number(latent) }));
});

test('a click on a link selects that relative; Escape clears the selection', async () => {
  const link = page.getByTestId('map-links').getByRole('button').first();
  const latent = /#(\d+)/.exec((await link.textContent())!)![1];
  await link.click();
  await expect(page.getByTestId('map-selected-title')).toContainText(`#${latent}`);
  await page.getByTestId('map-canvas').focus();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('map-selected')).toHaveCount(0);
});

test('2D flattens the map under an orthographic camera and 3D brings it back', async () => {
  await page.getByRole('button', { name: 'clear search' }).click();
  await expect(page.getByTestId('map-search-results')).toHaveCount(0);
  await page.getByTestId('map-mode-2d').click();
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-mode', '2d');
  await expect(page.getByTestId('map-mode-2d')).toHaveAttribute('aria-pressed', 'true');
  // Hover still finds points in 2-D: sweep a few pixels around the centre until a tooltip shows.
  const centre = await canvasCentre();
  await expect(async () => {
    for (let dx = -60; dx <= 60; dx += 6) {
      await page.mouse.move(centre.x + dx, centre.y + dx / 3);
      if (await page.getByTestId('map-tooltip').isVisible()) return;
    }
    throw new Error('no point under the sweep');
  }).toPass({ timeout: 15_000 });
  await screenshot('2d');
  await page.getByTestId('map-mode-3d').click();
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-mode', '3d');
});

test('the basis switch redraws the map by activation profiles, keeping the selection, and back by decoder directions', async () => {
  const total = SIZES.reduce((a, b) => a + b, 0);
  await expect(page.getByTestId('map-basis-decoder')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('map-count')).toContainText('joint UMAP of decoder directions');
  await page.getByTestId('map-search').fill('the');
  await page.getByTestId('map-search').press('Enter');
  const first = page.getByTestId('map-search-results').getByRole('button').first();
  const chosen = (await first.locator('.id').textContent())!.trim();
  await first.click();
  await expect(page.getByTestId('map-selected-title')).toHaveText(chosen);
  const before = await page.getByTestId('map-canvas').screenshot();

  await page.getByTestId('map-basis-activation').click();
  await expect(page.getByTestId('map-count')).toHaveAttribute('data-basis', 'activation');
  await expect(page.getByTestId('map-count')).toContainText('joint UMAP of activation profiles');
  await expect(page.getByTestId('map-basis-activation')).toHaveAttribute('aria-pressed', 'true');
  // A search hit fired on the harvest's tokens, so it is on the activation map and stays selected.
  await expect(page.getByTestId('map-selected-title')).toHaveText(chosen);
  const placed = Number(await page.getByTestId('map-screen').getAttribute('data-points'));
  expect(placed).toBeGreaterThan(0);
  expect(placed).toBeLessThanOrEqual(total);
  if (placed < total) await expect(page.getByTestId('map-count')).toContainText(`${total - placed} never fired`);
  await expect.poll(async () => Buffer.compare(await page.getByTestId('map-canvas').screenshot(), before)).not.toBe(0);
  await screenshot('activation');

  await page.getByTestId('map-basis-decoder').click();
  await expect(page.getByTestId('map-count')).toHaveAttribute('data-basis', 'decoder');
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-points', String(total));
});
