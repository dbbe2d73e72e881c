// Features across pretraining checkpoints end to end in browser mode: two checkpoints of a tiny
// model ("step-1", and the final "tiny"), one SAE on each trained by the real CLI's
// `train --checkpoints`, harvested and matched by `harvest` on the set, then the feature page of a
// final latent shows its counterpart at step-1 beside it with the share of final latents already
// present, and the counterpart opens. Screenshot: test-results/checkpoints-counterparts.png.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

test.describe.configure({ mode: 'serial' });

const SETUP_TIMEOUT = 600_000;
// 1,024 harvest tokens are 17 windows of 63 (BOS excluded): 1,071. The first feature page loads the feature database into the compute process.
const COMPUTE_TIMEOUT = 60_000;
const run = promisify(execFile);

let server: ServeProcess;
let page: Page;

async function cli(...args: string[]): Promise<void> {
  await run(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), ...args], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(SETUP_TIMEOUT);
  server = await startServe();
  const ws = (...parts: string[]) => path.join(server.workspace, ...parts);
  await cli('model', 'create-tiny', '--out', ws('models', 'tiny'));
  await cli('model', 'create-tiny', '--out', ws('models', 'step-1'), '--seed', '1');
  await cli('train', '--model', ws('models', 'tiny'), '--checkpoints', ws('models', 'step-1'), '--hook', 'blocks.1.hook_resid_post', '--latents', '32', '--k', '4', '--tokens', '2048', '--batch', '256', '--out', ws('saes', 'ckpt'), '--eval-tokens', '0');
  await cli('harvest', '--model', ws('models', 'tiny'), '--sae', ws('saes', 'ckpt'), '--tokens', '1024', '--db', ws('db', 'features.sqlite'));
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

test.afterAll(async () => {
  await page?.close();
  await server?.stop();
});

test('a final latent beside its counterpart at an earlier checkpoint, and the share already present', async () => {
  await page.goto(`${server.url}#/feature/tiny/ckpt%2Ffinal/3`);
  await expect(page.getByTestId('feature-title')).toHaveText('ckpt/final #3', { timeout: COMPUTE_TIMEOUT });
  const pane = page.getByTestId('pane-counterparts');
  await expect(pane).toBeVisible({ timeout: COMPUTE_TIMEOUT });
  const columns = pane.getByTestId('counterpart-column');
  await expect(columns).toHaveCount(2);
  await expect(columns.nth(0)).toHaveAttribute('data-label', 'step-1');
  await expect(columns.nth(1)).toHaveAttribute('data-label', 'final');
  await expect(columns.nth(0).getByTestId('share-present')).toHaveText(/^\d+% of final latents present$/);
  await expect(columns.nth(0).getByTestId('counterpart-r')).toHaveText(/^r = -?[01]\.\d\d$/);
  await expect(pane).toContainText('activation correlation on the same 1071 tokens');
  // A checkpoints set has no family tree: decoder directions of different checkpoints are not comparable.
  await expect(page.getByTestId('pane-tree')).toHaveCount(0);
  await expect(page.getByTestId('show-on-map')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/checkpoints-counterparts.png', fullPage: true });

  const counterpart = (await columns.nth(0).getByTestId('counterpart-open').textContent())!.trim();
  await columns.nth(0).getByTestId('counterpart-open').click();
  await expect(page.getByTestId('feature-title')).toHaveText(`ckpt/step-1 ${counterpart}`, { timeout: COMPUTE_TIMEOUT });
  expect(page.url()).toMatch(/#\/feature\/step-1\/ckpt%2Fstep-1\/\d+$/);
  await expect(page.getByTestId('pane-counterparts').getByTestId('counterpart-column').nth(1).getByTestId('counterpart-r')).toBeVisible();
});
