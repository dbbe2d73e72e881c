// Workspace → Models → "Train a language model": a tiny GPT-2 trains on the embedded corpus as a job,
// its loss chart fills in live, and the finished model appears in the models table.
import { expect, test } from '@playwright/test';
import { startServe, type ServeProcess } from './helpers/serve.js';

let serve: ServeProcess;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  await serve?.stop();
});

test('trains a language model from the Models section with a live loss chart', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  await expect(page.getByTestId('datasets')).toContainText('embedded:sotu');
  await page.getByRole('button', { name: 'Train a language model' }).click();
  const form = page.getByRole('form', { name: 'train a language model' });
  await form.locator('input[name="lm-name"]').fill('lm-e2e');
  for (const [field, value] of [['layers', '1'], ['d-model', '16'], ['heads', '2'], ['ctx', '16'], ['tokens', String(12 * 8 * 16)], ['batch', '8'], ['threads', '2']]) {
    await form.locator(`input[name="lm-${field}"]`).fill(value);
  }
  // Its own vocabulary, fitted on the corpus's training documents before the first step.
  await form.locator('select[name="lm-vocab"]').selectOption({ label: 'own BPE, 2,048 tokens' });
  await form.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByTestId('lm-loss-chart')).toBeVisible();
  await expect(page.getByTestId('lm-job-state')).toContainText('done', { timeout: 90_000 });
  await expect(page.getByTestId('lm-loss-chart')).toContainText('held-out');
  const row = page.getByTestId('models').getByRole('row', { name: /lm-e2e/ });
  await expect(row).toContainText('2048');
  await page.screenshot({ path: 'test-results/lm-train.png' });
  expect(problems).toEqual([]);
});
