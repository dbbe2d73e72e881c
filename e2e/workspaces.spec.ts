// Browser mode, other workspaces and SAEs going out: an SAE of the open workspace downloads as a .zip
// (SAELens, and sparsify), whose entries are checked; a second workspace is created by name under
// the workspaces root `serve` was given, opened from the header's list (the page starts again on
// its listing), and the first one opened again from the same list, where it was named at launch.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { expect, test, type Page } from '@playwright/test';
import { saveSaeLens } from '../src-main/sae/formats/saelens.js';
import type { SaeBundle } from '../src-main/sae/types.js';
import { startServe, type ServeProcess } from './helpers/serve.js';

let serve: ServeProcess;
const root = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-root-'));

/** A small top-k SAE with seeded weights, as a training run would leave it in a family folder. */
function topkSae(dIn: number, dSae: number): SaeBundle {
  let seed = 7;
  const random = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
  return {
    spec: { architecture: 'topk', dIn, dSae, k: 4, normalizeActivations: 'none', applyBDecToInput: true, modelName: 'tiny', hookName: 'blocks.1.hook_resid_post', contextSize: 64, prependBos: true },
    weights: { W_enc: random(dIn * dSae), W_dec: random(dSae * dIn), b_enc: random(dSae), b_dec: random(dIn) },
  };
}

test.beforeAll(async () => {
  serve = await startServe({}, { args: ['--workspaces-root', root] });
  saveSaeLens(path.join(serve.workspace, 'saes', 'fam', '64'), topkSae(16, 64));
});

test.afterAll(async () => {
  await serve?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function downloadZip(page: Page, format: 'SAELens folder' | 'sparsify run folder'): Promise<Record<string, Uint8Array>> {
  const form = page.getByRole('form', { name: 'export fam/64' });
  await form.getByLabel(format).check();
  const [download] = await Promise.all([page.waitForEvent('download'), form.getByRole('button', { name: 'Download .zip' }).click()]);
  return unzipSync(readFileSync(await download.path()));
}

test('downloads an SAE as a zip, then creates, opens and leaves a second workspace', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  const row = page.getByTestId('saes').locator('tr[data-sae="fam/64"]');
  await row.getByRole('button', { name: 'Export…' }).click();

  const saelens = await downloadZip(page, 'SAELens folder');
  expect(Object.keys(saelens).sort()).toEqual(['fam-64/cfg.json', 'fam-64/sae_weights.safetensors']);
  expect(JSON.parse(Buffer.from(saelens['fam-64/cfg.json']!).toString())).toMatchObject({ d_in: 16, d_sae: 64, k: 4, architecture: 'topk' });
  expect(Buffer.from(saelens['fam-64/sae_weights.safetensors']!).equals(readFileSync(path.join(serve.workspace, 'saes', 'fam', '64', 'sae_weights.safetensors')))).toBe(true);
  await expect(page.getByTestId('export-note')).toContainText('fam/64 downloaded as fam-64.zip (a SAELens folder');

  const sparsify = await downloadZip(page, 'sparsify run folder');
  expect(Object.keys(sparsify).sort()).toEqual(['fam-64-sparsify/h.1/cfg.json', 'fam-64-sparsify/h.1/sae.safetensors']);
  expect(JSON.parse(Buffer.from(sparsify['fam-64-sparsify/h.1/cfg.json']!).toString())).toMatchObject({ d_in: 16, num_latents: 64, k: 4, activation: 'topk' });
  await page.screenshot({ path: 'test-results/sae-download.png', fullPage: true });

  // A new workspace, by name, under the root: the page starts again on its (empty) listing.
  await page.getByTestId('workspace-menu-button').click();
  const menu = page.getByTestId('workspace-menu');
  await expect(menu.locator(`li[data-workspace="${path.basename(serve.workspace)}"]`)).toContainText('open now');
  await menu.getByLabel('new workspace name').fill('second');
  await menu.getByRole('button', { name: 'Create and open' }).click();
  await expect(page.getByTestId('workspace-root')).toHaveText(path.join(root, 'second'), { timeout: 60_000 });
  await expect(page.getByText('No SAE families yet')).toBeVisible();
  await expect(page.getByTestId('saes')).toHaveCount(0);
  await page.getByTestId('workspace-menu-button').click();
  await expect(menu.locator('li[data-workspace="second"]')).toContainText('open now');
  await page.screenshot({ path: 'test-results/workspace-switch.png' });

  // Back to the first, named at launch, from the same list; its SAE is listed again.
  await menu.locator(`li[data-workspace="${path.basename(serve.workspace)}"]`).getByRole('button', { name: /^open / }).click();
  await expect(page.getByTestId('workspace-root')).toHaveText(serve.workspace, { timeout: 60_000 });
  await expect(page.getByTestId('saes').locator('tr[data-sae="fam/64"]')).toBeVisible();
  expect(problems).toEqual([]);
});
