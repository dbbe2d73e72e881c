// Workspace → bring things in, in browser mode: a SAELens release folder chosen with the folder input
// is uploaded (PUT /api/upload), imported by saes.import as one family and listed with both sizes; a
// .txt uploaded as a dataset is previewed (first documents, token count) and trained on; the imported
// family is harvested from its family page and its features open.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

const run = promisify(execFile);
let serve: ServeProcess;
/** Outside the workspace: what a user has on their disk before importing. */
const outside = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-release-'));

async function cli(...args: string[]): Promise<void> {
  await run(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), ...args], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  serve = await startServe();
  await cli('model', 'create-tiny', '--out', path.join(outside, 'tiny'));
  await cli('train', '--model', path.join(outside, 'tiny'), '--hook', 'blocks.1.hook_resid_post', '--latents', '32,64', '--k', '4', '--tokens', '1024', '--batch', '256', '--out', path.join(outside, 'my-release'), '--eval-tokens', '0');
});

test.afterAll(async () => {
  await serve?.stop();
  rmSync(outside, { recursive: true, force: true });
});

test('imports an uploaded SAELens folder as a family and adds an uploaded dataset with its preview', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  await expect(page.getByText('No SAE families yet: train one')).toBeVisible();
  const step = (id: string) => page.getByTestId('get-started').locator(`li[data-step="${id}"]`).getByTestId('step-state');
  await expect(step('saes')).toHaveText('not yet');
  await expect(step('dataset')).toHaveText('not yet');
  await page.screenshot({ path: 'test-results/get-started.png', fullPage: true });

  const importForm = page.getByRole('form', { name: 'import SAEs' });
  await importForm.locator('input[name="sae-folder"]').setInputFiles(path.join(outside, 'my-release'));
  await expect(page.getByTestId('sae-ready')).toContainText('files (my-release/…)');
  await importForm.getByLabel('family name').fill('dropped');
  await importForm.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-job')).toContainText('done', { timeout: 60_000 });
  const family = page.getByTestId('families').locator('tr', { hasText: 'dropped' });
  await expect(family).toContainText('blocks.1.hook_resid_post');
  await expect(family).toContainText('32, 64');
  await expect(step('saes')).toHaveText('done');
  await page.screenshot({ path: 'test-results/import-sae.png', fullPage: true });

  // Long enough to train on: a few thousand tokens over many short documents.
  const text = Array.from({ length: 150 }, (_, i) => `Fellow citizens, the state of the union is strong.\n\nWe meet in a season of change, year ${i}.`).join('\n\n');
  await page.locator('input[name="dataset-files"]').setInputFiles({ name: 'speeches.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await expect(page.getByTestId('dataset-ready')).toContainText('speeches.txt');
  await page.getByRole('button', { name: 'Add dataset' }).click();
  const preview = page.getByTestId('dataset-preview');
  await expect(preview).toContainText('Fellow citizens, the state of the union is strong.');
  await expect(preview).toContainText(/\d+ GPT-2 tokens \(counted\)/);
  await expect(page.getByTestId('datasets')).toContainText('speeches.txt');
  await expect(step('dataset')).toHaveText('done');
  await preview.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/add-dataset.png', fullPage: true });

  // The Train screen offers the new dataset (its form needs a model first).
  await page.getByRole('button', { name: 'Create a tiny model' }).click();
  await expect(step('model')).toHaveText('done');
  await expect(page.getByTestId('models')).toContainText('tiny');
  await page.getByTestId('tab-train').click();
  await expect(page.locator('#train-dataset option', { hasText: 'speeches.txt' })).toHaveCount(1);

  // Train on the uploaded dataset.
  await page.locator('#train-dataset').selectOption('speeches.txt');
  await page.getByTestId('train-sizes').fill('16');
  await page.getByTestId('train-k').fill('4');
  await page.getByTestId('train-tokens').fill('1024');
  await page.getByTestId('train-batch').fill('256');
  await page.getByTestId('train-eval-tokens').fill('0');
  await page.getByTestId('train-family').fill('on-speeches');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('job-title')).toContainText('train on-speeches');
  await expect(page.getByTestId('train-job')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });

  // The imported family is harvested from its family page (the app's tiny model is the one it was
  // trained on: same generator, same seed), and its features open.
  await page.getByTestId('tab-home').click();
  await page.getByTestId('families').getByTestId('family-link').filter({ hasText: 'dropped' }).click();
  await expect(page.getByTestId('family-missing')).toContainText('Not harvested: 32, 64');
  await page.getByTestId('harvest-tokens').fill('2000');
  await page.getByTestId('harvest-start').click();
  await expect(page.getByTestId('job-title')).toContainText('harvest dropped on tiny');
  await expect(page.getByTestId('train-job')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await page.getByTestId('tab-features').click();
  await page.getByTestId('sae-picker').selectOption('dropped/32');
  await expect(page.getByTestId('feature-count')).toHaveText('32 latents', { timeout: 60_000 });
  await page.getByTestId('feature-row').first().click();
  await expect(page.getByTestId('feature-title')).toContainText('dropped/32 #');
  await expect(page.getByTestId('pane-top').getByTestId('context').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/import-harvested-feature.png' });
  expect(problems).toEqual([]);
});
