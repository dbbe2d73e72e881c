// Comparing two SAEs end to end in browser mode, on the GPT-2 that ships with the app: two sizes of a
// family (harvested) and an SAE of another seed (not harvested), made by the real CLI in the served
// workspace. From the SAE table's "Compare…", run the comparison as a job, read its figures (the
// same as compare.get answers), open a matched pair side by side; then a pair whose SAE has no
// harvest says so and offers the harvest. Screenshots go to test-results/compare-*.png.
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { SaeComparison } from '../src-shared/api.js';
import { addShippedModel, cli, startServe, type ServeProcess } from './helpers/serve.js';

test.describe.configure({ mode: 'serial' });

const SETUP_TIMEOUT = 300_000;
// A comparison job: model load, held-out windows, matching and correlation on 2,048 tokens.
const COMPUTE_TIMEOUT = 90_000;
const HOOK = 'blocks.2.hook_resid_pre';

let server: ServeProcess;
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(SETUP_TIMEOUT);
  server = await startServe();
  const ws = (...parts: string[]) => path.join(server.workspace, ...parts);
  const model = addShippedModel(server.workspace);
  const train = (out: string, latents: string, seed: string) =>
    cli('train', '--model', model, '--hook', HOOK, '--latents', latents, '--k', '8', '--tokens', '8192', '--batch', '256', '--seed', seed, '--out', ws('saes', out), '--eval-tokens', '0');
  await train('fam', '64,128', '0');
  await train('seed2', '64', '2');
  await cli('harvest', '--model', model, '--sae', ws('saes', 'fam'), '--tokens', '2048', '--db', ws('db', 'features.sqlite'));
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

test.afterAll(async () => {
  await page?.close();
  await server?.stop();
});

async function comparisonShown(): Promise<SaeComparison> {
  await expect(page.getByTestId('compare-result')).toBeVisible({ timeout: COMPUTE_TIMEOUT });
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
  const token = new URL(server.url).searchParams.get('token')!;
  const response = await fetch(`${server.origin}/api/compare.get`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ id }) });
  return ((await response.json()) as { result: SaeComparison }).result;
}

test('two sizes of a family: compared from the SAE table, figures shown, a matched pair opened side by side', async () => {
  await page.goto(server.url);
  await page.getByTestId('saes').locator('tr[data-sae="fam/64"]').getByTestId('compare-sae').click();
  await expect(page.getByTestId('tab-compare')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('compare-a').locator('select')).toHaveValue('fam/64');
  await page.getByTestId('compare-b').locator('select').selectOption('fam/128');
  await page.locator('input[name="compare-tokens"]').fill('2048');
  await page.getByTestId('compare-run').click();

  const c = await comparisonShown();
  expect(c).toMatchObject({ a: { sae: 'fam/64', model: 'sotu-gpt2', dSae: 64 }, b: { sae: 'fam/128', dSae: 128 }, method: 'hungarian', sameModel: true });
  expect(c.pairs).toHaveLength(64);
  await expect(page.getByTestId('compare-share-a')).toHaveText(`${(100 * c.shareMatchedA).toFixed(1)}%`);
  await expect(page.getByTestId('compare-share-b')).toHaveText(`${(100 * c.shareMatchedB).toFixed(1)}%`);
  await expect(page.getByTestId('compare-matched')).toHaveText(`${c.matched} pairs`);
  await expect(page.getByTestId('compare-list')).toContainText('fam/64');
  await expect(page.getByTestId('compare-unmatched-B').locator('tbody tr')).toHaveCount(Math.min(100, 128 - c.matched));
  await page.screenshot({ path: 'test-results/compare-result.png', fullPage: true });

  // The best pair: both features' top contexts and logit effects from the feature database.
  const best = c.pairs[0]!;
  await page.getByTestId('compare-pair-link').first().click();
  const pair = page.getByTestId('compare-pair');
  await expect(pair).toContainText(`fam/64 #${best.a} ↔ fam/128 #${best.b}`);
  await expect(page.getByTestId('pair-cosine')).toHaveText(best.cosine.toFixed(3));
  for (const side of ['A', 'B']) {
    await expect(page.getByTestId(`pair-side-${side}`).getByTestId('context').first()).toBeVisible({ timeout: COMPUTE_TIMEOUT });
    await expect(page.getByTestId(`pair-side-${side}`).getByTestId('pane-logits')).toBeVisible();
  }
  await pair.screenshot({ path: 'test-results/compare-pair.png' });
});

test('a pair whose SAE was never harvested says so and offers the harvest', async () => {
  await page.goto(`${server.url}#/compare/new/${encodeURIComponent('fam/64')}`);
  await page.getByTestId('compare-b').locator('select').selectOption('seed2/64');
  await page.locator('input[name="compare-tokens"]').fill('2048');
  await page.getByTestId('compare-run').click();
  const c = await comparisonShown();
  expect(c.b.sae).toBe('seed2/64');
  await page.getByTestId('compare-pair-link').first().click();
  await expect(page.getByTestId('pair-side-A').getByTestId('context').first()).toBeVisible({ timeout: COMPUTE_TIMEOUT });
  const missing = page.getByTestId('pair-side-B');
  await expect(missing.getByTestId('pair-not-harvested')).toContainText('seed2/64 has no harvest in the feature database');
  await expect(missing.getByTestId('harvest-start')).toBeVisible();
  await page.getByTestId('compare-pair').screenshot({ path: 'test-results/compare-pair-unharvested.png' });
});
