// Steering, attribution and attention end to end in browser mode: a tiny model, a two-size family
// with its harvest and map made by the real CLI in the served workspace, then: steer from a feature
// page (after its next-token effects, family tree and direct head attribution) and see both
// completions stream token by token, held mid-way and cancelled; save a steering
// preset and load it after a reload; open a map-selected latent's family tree; attribute a prompt
// and open a listed feature; open an attention pattern and read a cell. Screenshots go to
// test-results/causal-*.png.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page, type Route } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

test.describe.configure({ mode: 'serial' });

const SETUP_TIMEOUT = 600_000;
// Requests that load the model or an SAE into the compute process for the first time.
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
  await cli('train', '--model', ws('models', 'tiny'), '--hook', 'blocks.1.hook_resid_post', '--latents', '32,64', '--k', '4', '--tokens', '2048', '--batch', '256', '--out', ws('saes', 'fam'), '--eval-tokens', '0');
  await cli('harvest', '--model', ws('models', 'tiny'), '--sae', ws('saes', 'fam'), '--tokens', '1024', '--db', ws('db', 'features.sqlite'));
  await cli('umap', '--db', ws('db', 'features.sqlite'), '--family', ws('saes', 'fam'));
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

test.afterAll(async () => {
  await page?.close();
  await server?.stop();
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `test-results/causal-${name}.png`, fullPage: true });
}

test('steer from a feature page: baseline and steered completions side by side', async () => {
  await page.goto(`${server.url}#/feature/tiny/fam%2F32/3`);
  await expect(page.getByTestId('feature-title')).toHaveText('fam/32 #3', { timeout: COMPUTE_TIMEOUT });
  // The feature page's effects pane: computed on demand, every context token shaded by its effect.
  await page.getByTestId('effects-compute').click();
  const effects = page.getByTestId('effects-context');
  await expect(effects).toHaveCount(5, { timeout: COMPUTE_TIMEOUT });
  await expect(effects.first().locator('.tok[data-effect]:not([data-effect="0"])').first()).toBeVisible();
  await page.getByTestId('pane-effects').screenshot({ path: 'test-results/causal-effects.png' });
  // The family tree pane: the latent itself at the root, in a family of two sizes.
  await page.getByTestId('tree-show').click();
  await expect(page.getByTestId('tree-node').first()).toContainText('fam/32 #3', { timeout: COMPUTE_TIMEOUT });
  await page.getByTestId('pane-tree').screenshot({ path: 'test-results/causal-tree.png' });
  // Direct attribution: the heads, MLPs and embeddings that write the latent, as bars.
  await page.getByTestId('heads-compute').click();
  await expect(page.getByTestId('heads-summary')).toContainText('at blocks.1.hook_resid_post', { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('heads-row').first()).toBeVisible();
  await page.getByTestId('pane-heads').screenshot({ path: 'test-results/causal-heads.png' });
  await page.getByTestId('steer-with-feature').click();
  await expect(page.getByTestId('tab-steer')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('steer-latents')).toHaveValue('3');
  await page.getByTestId('steer-prompt').fill('The people of the United States');
  await page.getByTestId('steer-strength').fill('40');
  await page.getByTestId('steer-run').click();
  await expect(page.getByTestId('steer-result')).toBeVisible({ timeout: COMPUTE_TIMEOUT });
  await streamed();
  await expect(page.getByTestId('steer-baseline')).toContainText('The·people');
  await expect(page.getByTestId('steer-steered')).toContainText('The·people');
  await expect(page.getByTestId('steer-steered').locator('.tok.changed').first()).toBeVisible();
  const before = await page.getByTestId('steer-steered').textContent();
  // Strength 0 on the slider re-runs and gives the baseline back.
  await page.getByTestId('steer-strength').fill('0');
  await page.getByTestId('steer-run').click();
  await streamed();
  await expect(page.getByTestId('steer-steered').locator('.tok.changed')).toHaveCount(0);
  expect(await page.getByTestId('steer-steered').textContent()).not.toBe(before);
  await page.getByTestId('steer-strength').fill('40');
  await page.getByTestId('steer-from').fill('x');
  await expect(page.getByTestId('steer-run')).toBeDisabled();
  await page.getByTestId('steer-from').fill('2');
  await page.getByTestId('steer-run').click();
  await expect(page.getByTestId('steer-result')).toContainText('from token 2', { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('steer-steered').locator('.tok.changed').first()).toBeVisible();
  // A sweep: seven strengths from 0 to 40, each with its continuation, and the promoted tokens' curve.
  await page.getByTestId('steer-sweep').click();
  await expect(page.getByTestId('sweep-row')).toHaveCount(7, { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('steer-sweep-result').getByTestId('chart')).toBeVisible();
  await screenshot('steer');
});

const streamedTokens = (side: 'baseline' | 'steered') => page.getByTestId(`steer-${side}`).locator('.tok');

/** Waits for the running steer stream to end with all 20 tokens of each completion shown. */
async function streamed(): Promise<void> {
  await expect(page.getByTestId('steer-cancel')).toBeHidden({ timeout: COMPUTE_TIMEOUT });
  await expect(streamedTokens('baseline')).toHaveCount(20);
  await expect(streamedTokens('steered')).toHaveCount(20);
}

test('steered and baseline completions stream token by token, and Cancel stops them', async () => {
  // Holding the page's acknowledgements holds the stream after its first window of 4 tokens
  // (STEER_STREAM_WINDOW): an intermediate state the test can see without any timing.
  const held: Route[] = [];
  let holding = false;
  await page.route('**/api/steer.ack', (route) => void (holding ? held.push(route) : route.continue()));
  const holdAcks = () => (holding = true);
  const releaseAcks = async () => {
    holding = false;
    for (const route of held.splice(0)) await route.continue();
  };
  await page.getByTestId('steer-from').fill('');
  holdAcks();
  await page.getByTestId('steer-run').click();
  await expect(page.getByTestId('steer-status')).toContainText('Generating: 4 of 20 tokens', { timeout: COMPUTE_TIMEOUT });
  await expect(streamedTokens('baseline')).toHaveCount(4);
  await expect(streamedTokens('steered')).toHaveCount(4);
  await expect(page.getByTestId('steer-steered').locator('.tok.changed').first()).toBeVisible();
  await screenshot('steer-streaming');
  await releaseAcks();
  await streamed();
  await expect(page.getByTestId('steer-status')).not.toContainText('Generating');

  holdAcks();
  await page.getByTestId('steer-run').click();
  await expect(page.getByTestId('steer-status')).toContainText('Generating: 4 of 20 tokens', { timeout: COMPUTE_TIMEOUT });
  await page.getByTestId('steer-cancel').click();
  await expect(page.getByTestId('steer-status')).toContainText('Stopped after 4 of 20 tokens');
  await expect(page.getByTestId('steer-cancel')).toBeHidden();
  await expect(streamedTokens('steered')).toHaveCount(4);
  await releaseAcks();
  await page.unroute('**/api/steer.ack');
});

test('save the steer settings as a preset, reload, and load it back into the form', async () => {
  await page.goto(`${server.url}#/steer/fam%2F32/5`);
  await expect(page.getByTestId('steer-latents')).toHaveValue('5');
  await page.getByTestId('steer-latents').fill('5, 9');
  await page.getByTestId('steer-prompt').fill('A saved prompt');
  await page.getByTestId('steer-mode').selectOption('clamp');
  await page.getByTestId('steer-strength').fill('7.5');
  await page.getByTestId('steer-from').fill('1');
  await page.getByTestId('preset-name').fill('bad name');
  await expect(page.getByTestId('preset-save')).toBeDisabled();
  await page.getByTestId('preset-name').fill('clamp-5-9');
  await page.getByTestId('preset-save').click();
  await expect(page.getByTestId('preset-select')).toHaveValue('clamp-5-9');
  // A fresh page keeps nothing of the form: the preset comes back from the workspace.
  await page.goto(`${server.url}#/steer`);
  await page.reload();
  await expect(page.getByTestId('steer-latents')).toHaveValue('');
  await expect(page.getByTestId('preset-select').locator('option', { hasText: 'clamp-5-9' })).toHaveCount(1);
  await page.getByTestId('preset-select').selectOption('clamp-5-9');
  await expect(page.getByTestId('steer-latents')).toHaveValue('5, 9');
  await expect(page.getByTestId('steer-prompt')).toHaveValue('A saved prompt');
  await expect(page.getByTestId('steer-mode')).toHaveValue('clamp');
  await expect(page.getByTestId('steer-strength')).toHaveValue('7.5');
  await expect(page.getByTestId('steer-from')).toHaveValue('1');
  await expect(page.getByTestId('preset-name')).toHaveValue('clamp-5-9');
  await page.getByTestId('steer-run').click();
  await expect(page.getByTestId('steer-result')).toContainText('clamp #5, #9 to 7.5, from token 1', { timeout: COMPUTE_TIMEOUT });
  await screenshot('steer-preset');
  await page.getByTestId('preset-delete').click();
  await expect(page.getByTestId('preset-select').locator('option', { hasText: 'clamp-5-9' })).toHaveCount(0);
});

test('a latent selected on the map opens its family tree on its feature page', async () => {
  await page.goto(`${server.url}#/map/fam`);
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-points', String(32 + 64), { timeout: COMPUTE_TIMEOUT });
  await page.getByTestId('map-search').fill('the');
  await page.getByTestId('map-search').press('Enter');
  const match = page.getByTestId('map-search-results').getByRole('button').first();
  const label = (await match.locator('.id').textContent())!.replace(/\s+#/, ' #').trim();
  await match.click();
  await expect(page.getByTestId('map-selected-title')).toHaveText(label);
  await page.getByTestId('map-open-tree').click();
  await expect(page.getByTestId('feature-title')).toHaveText(label, { timeout: COMPUTE_TIMEOUT });
  // Built without a click on "Show family tree", with the latent itself at the root, and scrolled to.
  await expect(page.getByTestId('tree-node').first()).toContainText(label, { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('pane-tree')).toBeInViewport();
  expect(page.url()).toMatch(/#\/feature\/tiny\/fam%2F\d+\/\d+\/tree$/);
  await screenshot('map-tree');
});

test('attribute a prompt, then open a listed feature', async () => {
  await page.goto(`${server.url}#/attribute`);
  await page.getByTestId('attribution-prompt').fill('The people of the United');
  await page.getByTestId('attribution-target').fill(' States');
  await page.getByTestId('attribution-run').click();
  const site = page.getByTestId('attribution-site');
  await expect(site).toHaveCount(1, { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('attribution-summary')).toContainText('·States');
  await expect(site.getByTestId('attribution-latent')).toHaveCount(4);
  await expect(site.getByTestId('attribution-error')).toContainText('SAE error');
  await screenshot('attribution');
  const first = site.getByTestId('attribution-latent').first();
  const label = (await first.textContent())!.trim();
  await first.click();
  await expect(page.getByTestId('feature-title')).toHaveText(`fam/32 ${label}`);
});

test('open an attention pattern, read a cell, and pick another head from the score table', async () => {
  await page.goto(`${server.url}#/attention`);
  await page.getByTestId('attention-prompt').fill('The cat sat. The cat sat.');
  await page.getByTestId('attention-run').click();
  await expect(page.getByTestId('head-row')).toHaveCount(8, { timeout: COMPUTE_TIMEOUT });
  const cells = page.getByTestId('attention-cell');
  // BOS + 8 tokens: a 9 × 9 pattern.
  await expect(cells).toHaveCount(81);
  await cells.nth(9 * 4 + 2).hover();
  await expect(page.getByTestId('pattern-readout')).toContainText('(4) attends to');
  await page.locator('[data-head="1.2"]').click();
  await expect(page.locator('section[aria-label="attention pattern"] h3')).toContainText('Layer 1, head 2', { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('logit-lens').locator('tbody tr')).toHaveCount(3);
  await cells.nth(9 * 8 + 8).hover();
  await screenshot('attention');
});
