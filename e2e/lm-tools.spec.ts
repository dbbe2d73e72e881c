// Workspace → Models, on the shipped model copied into the workspace: "Sample…" continues a prompt,
// "Evaluate…" measures it on a few held-out positions of its own training run's split and the row
// lists the loss beside the bigram and unigram, and "Export…" writes an F16 copy that is listed as a
// new model.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

let serve: ServeProcess;

test.beforeAll(async () => {
  serve = await startServe();
  cpSync(path.join(APP_ROOT, 'resources', 'models', 'sotu-gpt2'), path.join(serve.workspace, 'models', 'sotu-gpt2'), { recursive: true });
});

test.afterAll(async () => {
  await serve?.stop();
});

test('samples, evaluates and exports a language model from its row', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  const row = page.getByTestId('models').locator('tr[data-model="sotu-gpt2"]');
  await expect(row.getByTestId('lm-eval-on')).toHaveText('not evaluated');

  await row.getByRole('button', { name: 'Sample…' }).click();
  const sample = page.getByRole('form', { name: 'sample model sotu-gpt2' });
  await sample.locator('textarea[name="lm-sample-prompts"]').fill('The Congress\nWe have');
  await sample.locator('input[name="lm-sample-max-tokens"]').fill('8');
  await sample.locator('input[name="lm-sample-samples"]').fill('2');
  await expect(sample).toContainText('more than one sample needs a temperature above 0');
  await expect(sample.getByRole('button', { name: 'Sample' })).toBeDisabled();
  await sample.locator('input[name="lm-sample-temperature"]').fill('0.8');
  await sample.locator('input[name="lm-sample-seed"]').fill('3');
  await sample.getByRole('button', { name: 'Sample' }).click();
  const continuations = page.getByTestId('lm-continuations').locator('li');
  await expect(continuations).toHaveCount(4);
  await expect(continuations.nth(0)).toContainText('The Congress');
  await expect(continuations.nth(1)).toContainText('seed 4');
  await expect(continuations.nth(2)).toContainText('We have');
  for (let i = 0; i < 4; i++) await expect(continuations.nth(i).locator('strong')).toHaveText(/\S/);
  await page.locator('section[aria-labelledby="models-title"]').screenshot({ path: 'test-results/lm-tools-sample.png' });

  await row.getByRole('button', { name: 'Evaluate…' }).click();
  const evaluate = page.getByRole('form', { name: 'evaluate model sotu-gpt2' });
  await expect(evaluate.locator('select[name="lm-eval-dataset"]')).toHaveValue('');
  // Two windows of the run's 128 positions.
  await evaluate.locator('input[name="lm-eval-tokens"]').fill('256');
  await evaluate.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByTestId('lm-eval-job-state')).toHaveText('done', { timeout: 90_000 });
  await expect(row.getByTestId('lm-eval-on')).toHaveText('embedded:sotu');
  await expect(row.getByTestId('lm-eval-on')).toHaveAttribute('title', /^every 20th document of embedded:sotu held out, windows of 128; baselines from 2\.79M training tokens$/);
  await expect(row.getByTestId('lm-eval-positions')).toHaveText('256');
  for (const cell of ['lm-eval-model', 'lm-eval-bigram', 'lm-eval-unigram']) await expect(row.getByTestId(cell)).toHaveText(/^\d+\.\d{3}$/);
  // The shipped model beats the bigram on its held-out text (docs/demo-model.md).
  await expect(row.getByTestId('lm-eval-gap')).toHaveText(/^−0\.\d{3}$/);
  await page.getByTestId('models').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/lm-tools-evaluate.png' });

  // The run's loss curve: held-out and training loss from the run's record, with the bigram of the
  // evaluation just stored.
  await row.getByRole('button', { name: 'Loss curve' }).click();
  const curve = page.getByTestId('lm-curve');
  await expect(curve.locator('canvas')).toBeVisible({ timeout: 30_000 });
  await expect(curve.locator('.u-legend')).toHaveText(/^held-outtrainingunigram 6\.\d{3}bigram \d\.\d{3}$/);
  await curve.screenshot({ path: 'test-results/lm-tools-curve.png' });

  await row.getByRole('button', { name: 'Export…' }).click();
  const exporter = page.getByRole('form', { name: 'export model sotu-gpt2' });
  await exporter.locator('input[name="lm-export-name"]').fill('sotu-gpt2');
  await expect(exporter).toContainText('a model "sotu-gpt2" already exists');
  await exporter.locator('input[name="lm-export-name"]').fill('sotu-copy');
  await exporter.getByRole('button', { name: 'Export' }).click();
  await expect(page.getByTestId('lm-export-job-state')).toHaveText('done', { timeout: 60_000 });
  const copy = page.getByTestId('models').locator('tr[data-model="sotu-copy"]');
  await expect(copy).toContainText('F16 copy of sotu-gpt2');
  await expect(copy.getByTestId('lm-eval-on')).toHaveText('not evaluated');
  await page.screenshot({ path: 'test-results/lm-tools.png', fullPage: true });
  expect(problems).toEqual([]);
});
