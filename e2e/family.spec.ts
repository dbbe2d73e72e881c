// A family's page in browser mode, on a demo workspace built small (the real `sae-explorer demo` on
// the shipped model, 32k tokens): reached from the Workspace screen's family table and from a
// feature page, it shows every size's figures, harvest status, the scaling chart with its fitted
// exponent, tokens to convergence and the training curves (test-results/family-page.png); with the
// curves taken out of family.json, as families trained before curves were recorded have it, it says
// what is missing and how to get it (test-results/family-page-old.png).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

test.describe.configure({ mode: 'serial' });

const FAMILY = 'demo-sotu-gpt2-blocks.2.hook_resid_pre';
const SIZES = ['256', '512', '1024'];
const COMPUTE_TIMEOUT = 60_000;
const run = promisify(execFile);

let server: ServeProcess;
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  server = await startServe();
  // 64 steps of 256 tokens: 64 curve points per size, enough for tokens to convergence; evals for the scaling fit.
  const args = ['demo', '--workspace', server.workspace, '--tokens', '16384', '--batch', '256', '--eval-tokens', '1024', '--harvest-tokens', '4096', '--checkpoint-tokens', '16384'];
  await run(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), ...args], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
});

test.afterAll(async () => {
  await page?.close();
  await server?.stop();
});

test('the family table leads to the family page: figures, harvest status, scaling fit and curves', async () => {
  await page.goto(server.url);
  await page.getByTestId('families').getByTestId('family-link').filter({ hasText: FAMILY }).click({ timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('family-title')).toHaveText(FAMILY);
  const rows = page.getByTestId('family-members').locator('tbody tr');
  await expect(rows).toHaveCount(3, { timeout: COMPUTE_TIMEOUT });
  for (const [i, size] of SIZES.entries()) {
    const row = rows.nth(i);
    await expect(row).toHaveAttribute('data-member', size);
    await expect(row.getByTestId('eval-fvu')).toHaveText(/^0\.\d+$/);
    await expect(row.getByTestId('train-fvu')).toHaveText(/^0\.\d+$/);
    await expect(row.getByTestId('convergence')).toHaveText(/^(≥ )?\d+(\.\d+)?k?$/);
    await expect(row.getByTestId('harvest')).toHaveText('features.sqlite');
  }
  await expect(page.getByTestId('scaling-fit')).toContainText(/eval FVU ∝ n−\d\.\d{3} \(least squares of log FVU on log n over 3 sizes/);
  await expect(page.locator('[data-title="eval FVU against d_sae (log-log)"] canvas')).toBeVisible();
  await expect(page.locator('[data-title="tokens to convergence against d_sae (log-log)"] canvas')).toBeVisible();
  await expect(page.getByTestId('family-curves').getByTestId('chart')).toHaveCount(3);
  await expect(page.getByTestId('family-missing')).toHaveCount(0);
  // Splitting between neighbouring sizes, computed on demand: one row per pair.
  await page.getByTestId('splitting-run').click();
  await expect(page.getByTestId('splitting-pair')).toHaveCount(SIZES.length - 1, { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('splitting-pair').first()).toContainText(`${SIZES[0]} → ${SIZES[1]}`);
  await page.screenshot({ path: 'test-results/family-page.png', fullPage: true });

  await page.getByTestId('family-map').click();
  await expect(page).toHaveURL(new RegExp(`#/map/${FAMILY}$`));
});

test('a feature page links to its family page', async () => {
  await page.goto(`${server.url}#/feature/sotu-gpt2/${encodeURIComponent(`${FAMILY}/512`)}/0`);
  await page.getByTestId('feature-family').click({ timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('family-title')).toHaveText(FAMILY);
});

test('a family.json without curves still has a page that says how to get them', async () => {
  const file = path.join(server.workspace, 'saes', FAMILY, 'family.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { saes: Array<Record<string, unknown>> };
  for (const sae of json.saes) {
    delete sae.history;
    delete sae.tokens_to_convergence;
  }
  writeFileSync(file, JSON.stringify(json));
  await page.goto(`${server.url}#/family/${FAMILY}`);
  await page.reload();
  await expect(page.getByTestId('no-curves')).toBeVisible({ timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('family-missing')).toContainText('No training curves for 256, 512, 1024');
  await expect(page.getByTestId('family-missing')).toContainText('Train the family again');
  await expect(page.getByTestId('scaling-fit')).toContainText('eval FVU ∝ n');
  await page.screenshot({ path: 'test-results/family-page-old.png', fullPage: true });
});
