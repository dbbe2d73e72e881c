// Workspace → SAEs → "Evaluate…": an SAE trained by the real CLI without an evaluation is listed as
// not evaluated; evaluating it from its row runs saes.evaluate as a job, and the row then shows its
// FVU, L0, dead share, ΔLM loss and CE score and what they were measured on.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

const run = promisify(execFile);
let serve: ServeProcess;

async function cli(...args: string[]): Promise<void> {
  await run(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), ...args], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  serve = await startServe();
  const ws = (...parts: string[]) => path.join(serve.workspace, ...parts);
  await cli('model', 'create-tiny', '--out', ws('models', 'tiny'));
  await cli('train', '--model', ws('models', 'tiny'), '--hook', 'blocks.1.hook_resid_post', '--latents', '32', '--k', '4', '--tokens', '1024', '--batch', '256', '--out', ws('saes', 'fam'), '--eval-tokens', '0');
});

test.afterAll(async () => {
  await serve?.stop();
});

test('evaluates an SAE from its row and sees its figures listed', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  const row = page.getByTestId('saes').locator('tr[data-sae="fam/32"]');
  await expect(row.getByTestId('eval-on')).toHaveText('not evaluated');
  await expect(row.getByTestId('eval-fvu')).toHaveText('—');

  await row.getByRole('button', { name: 'Evaluate…' }).click();
  const form = page.getByRole('form', { name: 'evaluate fam/32' });
  await expect(form.locator('select[name="eval-model"]')).toHaveValue('tiny');
  await form.locator('input[name="eval-tokens"]').fill('0');
  await expect(form.getByRole('button', { name: 'Run evaluation' })).toBeDisabled();
  await expect(form).toContainText('tokens must be a whole number ≥ 1');
  // Four windows of the SAE's 64-token context, BOS excluded.
  await form.locator('input[name="eval-tokens"]').fill(String(4 * 63));
  await form.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByTestId('eval-job-state')).toHaveText('done', { timeout: 90_000 });

  await expect(row.getByTestId('eval-on')).toHaveText('252 tokens of embedded:sotu on tiny');
  await expect(row.getByTestId('eval-l0')).toHaveText('4.0');
  for (const cell of ['eval-fvu', 'eval-delta-lm', 'eval-ce-score']) await expect(row.getByTestId(cell)).toHaveText(/^-?\d/);
  await expect(row.getByTestId('eval-never-fired')).toHaveText(/^\d+(\.\d)?%$/);
  await page.getByTestId('saes').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/evaluate-sae.png', fullPage: true });
  expect(problems).toEqual([]);
});
