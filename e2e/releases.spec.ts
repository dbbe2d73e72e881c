// "Download a release" in browser mode: the dialog lists the public releases with their hook, sizes,
// normalisation, correction and caveats; downloading the feature-splitting ladder from a local Hub
// (its real layout at width 6) runs as a job and lists one family of eight sizes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { findRelease } from '../src-main/sae/releases/registry.js';
import { startHubServer, type HubServer } from '../test/fixtures/hub-server.js';
import { fakeReleaseRepo } from '../test/fixtures/sae/releases.js';
import { startServe, type ServeProcess } from './helpers/serve.js';

const release = findRelease('gpt2-small-res-jb-feature-splitting');
let hub: HubServer;
let serve: ServeProcess;
let cache: string;

test.beforeAll(async () => {
  hub = await startHubServer({ models: { [release.repoId]: fakeReleaseRepo(release, 6) } });
  cache = mkdtempSync(path.join(os.tmpdir(), 'sae-e2e-hf-'));
  serve = await startServe({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '0' });
});

test.afterAll(async () => {
  await serve?.stop();
  await hub?.close();
  if (cache) rmSync(cache, { recursive: true, force: true });
});

test('shows a release\'s facts and caveats, downloads it, and lists its family', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByRole('button', { name: 'Download a release…' }).click();
  const dialog = page.getByTestId('release-dialog');
  await expect(dialog.locator('select[name="release"]')).toHaveValue('gpt2-small-res-jb-feature-splitting');
  await expect(dialog).toContainText('jbloom/GPT2-Small-Feature-Splitting-Experiment-Layer-8');
  await expect(dialog).toContainText('blocks.8.hook_resid_pre');
  await expect(dialog).toContainText('768, 1536, 3072, 6144, 12288, 24576, 49152, 98304 latents');
  await expect(dialog).toContainText('TransformerLens residual centring folded into the weights');
  await expect(dialog.getByRole('list', { name: 'caveats' })).toContainText('center_writing_weights');

  // Another release: its layers can be chosen, and its caveats differ.
  await dialog.locator('select[name="release"]').selectOption('gpt2-small-attn-out-v5-32k');
  await expect(dialog).toContainText('topk (k 32), layer_norm input');
  await expect(dialog.getByRole('checkbox')).toHaveCount(12);
  await page.screenshot({ path: 'test-results/release-dialog.png' });

  await dialog.locator('select[name="release"]').selectOption('gpt2-small-res-jb-feature-splitting');
  await dialog.getByRole('button', { name: /Download into the Hugging Face cache/ }).click();
  await expect(dialog).not.toBeVisible();
  const family = page.getByTestId('families').getByRole('row', { name: /gpt2-small-res-jb-feature-splitting/ });
  await expect(family).toContainText('6, 12, 24, 48, 96, 192, 384, 768', { timeout: 60_000 });
  await expect(family).toContainText('blocks.8.hook_resid_pre');
});
