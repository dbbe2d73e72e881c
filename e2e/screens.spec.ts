// The screens end to end, in browser mode on Debian's Chromium: a real (tiny) pipeline driven
// through the UI — create a tiny model, train a two-size family, Harvest + UMAP — then every screen:
// the latent list, feature pages (from the list, from the map, via a parent/child link), inspect,
// and a second training job started and cancelled. A screenshot of every screen goes to test-results/.
import { copyFile, readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import { startServe, type ServeProcess } from './helpers/serve.js';

test.describe.configure({ mode: 'serial' });

// The machine running this may be slow and shared; the pipeline is tiny but gets room.
const PIPELINE_TIMEOUT = 600_000;
// Requests that load a model or a database into the compute process for the first time.
const COMPUTE_TIMEOUT = 60_000;
const FAMILY = 'fam';
const SIZES = [32, 64];

let server: ServeProcess;
let page: Page;

test.beforeAll(async ({ browser }) => {
  server = await startServe();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url);
});

test.afterAll(async () => {
  await page?.close();
  await server?.stop();
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens-${name}.png` });
}

async function openTab(name: string): Promise<void> {
  await page.getByTestId(`tab-${name}`).click();
}

test('workspace home: create a tiny model and see it listed with its provenance', async () => {
  await expect(page.getByTestId('workspace-root')).toHaveText(server.workspace);
  await page.getByLabel('tiny model name').fill('tiny');
  await page.getByRole('button', { name: 'Create tiny model' }).click();
  const row = page.getByTestId('models').getByRole('row', { name: /tiny/ });
  await expect(row).toContainText('tiny random GPT-2', { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('datasets')).toContainText('embedded:sotu');
  await screenshot('home');
});

test('train: validation messages, then a family trained with live charts', async () => {
  test.setTimeout(PIPELINE_TIMEOUT);
  await openTab('train');
  await expect(page.locator('#train-hook')).toHaveValue('blocks.1.hook_resid_post');
  await expect(page.locator('#train-k')).toHaveValue('32');

  await page.getByTestId('train-sizes').fill('16, x');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-error-sizes')).toHaveText('each size must be a whole number ≥ 1, got "x"');
  await page.getByTestId('train-sizes').fill('16');
  await expect(page.getByTestId('train-error-sizes')).toHaveText('every size must be ≥ k (32), got 16');
  // Every architecture the trainer has is offered; a Matryoshka SAE needs sizes to nest.
  await expect(page.locator('#train-arch option')).toHaveText(['topk', 'batchtopk', 'matryoshka', 'jumprelu', 'gated', 'relu']);
  await page.locator('#train-arch').selectOption('matryoshka');
  await expect(page.getByTestId('train-error-sizes')).toHaveText(/^matryoshka needs at least two sizes/);
  await page.locator('#train-arch').selectOption('topk');

  await page.getByTestId('train-sizes').fill(SIZES.join(', '));
  await page.getByTestId('train-k').fill('4');
  await page.getByTestId('train-tokens').fill('4096');
  await page.getByTestId('train-batch').fill('256');
  await page.getByTestId('train-eval-tokens').fill('512');
  await page.getByTestId('train-family').fill(FAMILY);
  await expect(page.getByTestId('train-error-sizes')).toHaveCount(0);
  await page.getByTestId('train-start').click();

  const job = page.getByTestId('train-job');
  await expect(page.getByTestId('job-title')).toContainText(`train ${FAMILY} (${SIZES.join(', ')} latents, k 4)`);
  await expect(page.getByTestId('train-charts').getByTestId('chart')).toHaveCount(4, { timeout: PIPELINE_TIMEOUT });
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: PIPELINE_TIMEOUT });
  // The name just used is taken now; the form offers the next one.
  await expect(page.getByTestId('train-family')).toHaveValue(`${FAMILY}-2`);
  // Every size has a line in the legend of every chart.
  for (const size of SIZES) await expect(page.getByTestId('train-charts').locator('.u-legend').first()).toContainText(String(size));
  await screenshot('train');
});

test('Harvest + UMAP in one click', async () => {
  test.setTimeout(PIPELINE_TIMEOUT);
  await page.getByTestId('harvest-tokens').fill('2000');
  await page.getByTestId('harvest-start').click();
  const job = page.getByTestId('train-job');
  await expect(page.getByTestId('job-title')).toHaveText(`harvest ${FAMILY} on tiny (2000 tokens + UMAP)`);
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: PIPELINE_TIMEOUT });
  await expect(page.getByTestId('job-summary')).toContainText('umap_points');
  await expect(page.getByTestId('harvest-next')).toContainText(`browse the features of ${FAMILY}/${SIZES[0]}`);
  await screenshot('harvest');
});

test('features: the latent list sorts, filters and opens a feature page', async () => {
  await openTab('features');
  await page.getByTestId('sae-picker').selectOption(`${FAMILY}/${SIZES[0]}`);
  await expect(page.getByTestId('feature-count')).toHaveText(`${SIZES[0]} latents`, { timeout: COMPUTE_TIMEOUT });
  const rows = page.getByTestId('feature-row');
  await expect(rows.first()).toHaveAttribute('data-latent', /\d+/);

  await page.getByTestId('sort').selectOption('index');
  await expect(rows.first()).toHaveAttribute('data-latent', '0');
  await page.getByTestId('sort-direction').click();
  await expect(rows.first()).toHaveAttribute('data-latent', String(SIZES[0] - 1));
  await page.getByTestId('sort').selectOption('max_act');

  // Keyboard: focus the list, move down one row, open it with Enter.
  const second = await rows.nth(1).getAttribute('data-latent');
  await page.getByTestId('feature-list').focus();
  await page.keyboard.press('ArrowDown');
  await screenshot('features');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('feature-title')).toHaveText(`${FAMILY}/${SIZES[0]} #${second}`);
  await expect(page.getByTestId('pane-top').getByTestId('context').first()).toBeVisible();
  await expect(page.getByTestId('pane-logits')).toContainText('Promoted');
  await screenshot('feature');

  // A token filter keeps only latents whose top tokens contain the text.
  await page.goBack();
  const firstTopToken = (await page.getByTestId('feature-row').first().locator('.tok').first().textContent())!.trim();
  await page.getByTestId('token-filter').fill(firstTopToken);
  await expect(page.getByTestId('feature-count')).toContainText(`matching “${firstTopToken}”`);
});

test('feature page: follow a parent/child link into the other size', async () => {
  await page.goto(`${server.origin}/#/feature/tiny/${encodeURIComponent(`${FAMILY}/${SIZES[0]}`)}/0`);
  await expect(page.getByTestId('feature-title')).toHaveText(`${FAMILY}/${SIZES[0]} #0`);
  // ] and [ page through the latents of the SAE.
  await page.keyboard.press(']');
  await expect(page.getByTestId('feature-title')).toHaveText(`${FAMILY}/${SIZES[0]} #1`);
  await page.keyboard.press('[');
  await expect(page.getByTestId('feature-title')).toHaveText(`${FAMILY}/${SIZES[0]} #0`);
  const links = page.getByTestId('relative-links').getByRole('link');
  await expect(links.first()).toContainText(`child in ${SIZES[1]}`);
  const target = (await links.first().locator('.latent').textContent())!;
  await links.first().click();
  await expect(page.getByTestId('feature-title')).toHaveText(`${FAMILY}/${SIZES[1]} ${target}`);
  await expect(page.getByTestId('relative-links').getByRole('link').first()).toContainText(`parent in ${SIZES[0]}`);
  await screenshot('feature-relative');
});

/** Clicks a button that saves a file and returns what the browser saved. */
async function downloadFrom(testId: string): Promise<{ download: Download; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  return { download, bytes: await readFile(await download.path()) };
}

test('exports: a feature page as JSON and as an image of the page', async () => {
  const stem = `${FAMILY}-${SIZES[1]}-${(await page.getByTestId('feature-title').locator('.latent').textContent())!.slice(1)}`;
  const json = await downloadFrom('export-feature');
  expect(json.download.suggestedFilename()).toBe(`${stem}.json`);
  const exported = JSON.parse(json.bytes.toString('utf8'));
  expect(exported.top.length).toBeGreaterThan(0);

  const png = await downloadFrom('export-feature-image');
  expect(png.download.suggestedFilename()).toBe(`${stem}.png`);
  expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // The IHDR chunk's width and height: the whole page's column, not an empty or clipped box.
  expect(png.bytes.readUInt32BE(16)).toBeGreaterThan(800);
  expect(png.bytes.readUInt32BE(20)).toBeGreaterThan(600);
  // Opaque where the page shows its own background (the title row), as on screen.
  const corner = await page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    return [...context.getImageData(2, 2, 1, 1).data];
  }, png.bytes.toString('base64'));
  expect(corner[3]).toBe(255);
  await expect(page.getByTestId('export-feature-image')).toHaveText('Export image');
  await copyFile(await png.download.path(), 'test-results/screens-feature-export.png');
});

test('map: a latent found on the map opens its feature page', async () => {
  await page.getByTestId('show-on-map').click();
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-points', String(SIZES[0] + SIZES[1]), { timeout: 60_000 });
  await page.getByTestId('map-search').fill('the');
  await page.getByTestId('map-search').press('Enter');
  const match = page.getByTestId('map-search-results').getByRole('button').first();
  await expect(match).toBeVisible();
  const label = (await match.locator('.id').textContent())!;
  await match.click();
  await screenshot('map');
  const csv = await downloadFrom('export-map');
  expect(csv.download.suggestedFilename()).toBe(`${FAMILY}-umap.csv`);
  const lines = csv.bytes.toString('utf8').trim().split('\n');
  expect(lines[0]).toBe('sae,d_sae,latent,x,y,z');
  expect(lines).toHaveLength(1 + SIZES[0] + SIZES[1]);
  await page.getByTestId('map-open-feature').click();
  await expect(page.getByTestId('feature-title')).toHaveText(label.replace(/\s+#/, ' #'));
});

test('inspect: top latents per token, then tokens coloured by one latent, click through', async () => {
  await openTab('inspect');
  await page.getByTestId('sae-picker').selectOption(`${FAMILY}/${SIZES[1]}`);
  await page.getByTestId('inspect-text').fill('The president spoke to the nation.');
  await page.getByTestId('inspect-run').click();
  const rows = page.getByTestId('inspect-table').locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeGreaterThan(3);
  const chip = page.getByTestId('inspect-latent-link').first();
  const latent = (await chip.textContent())!.match(/#(\d+)/)![1]!;

  await page.getByTestId('inspect-latent').fill(latent);
  await page.getByTestId('inspect-run').click();
  await expect(page.getByRole('heading', { name: new RegExp(`Tokens coloured by ${FAMILY}/${SIZES[1]} #${latent}`) })).toBeVisible();
  await screenshot('inspect');

  await page.getByTestId('inspect-latent-link').first().click();
  await expect(page.getByTestId('feature-title')).toContainText(`${FAMILY}/${SIZES[1]} #`);
});

test('train: start a second job, pause and resume it, then cancel it', async () => {
  test.setTimeout(PIPELINE_TIMEOUT);
  await openTab('train');
  await page.getByTestId('train-sizes').fill('32');
  await page.getByTestId('train-k').fill('4');
  await page.getByTestId('train-tokens').fill('10000000');
  await page.getByTestId('train-family').fill('to-cancel');
  await page.getByTestId('train-start').click();
  const job = page.getByTestId('train-job');
  await expect(page.getByTestId('job-title')).toContainText('train to-cancel');
  await expect(page.getByTestId('job-cancel')).toBeVisible();
  await screenshot('train-running');
  await page.getByTestId('job-pause').click();
  await expect(job).toHaveAttribute('data-state', 'paused', { timeout: COMPUTE_TIMEOUT });
  await page.getByTestId('job-resume').click();
  await expect(job).toHaveAttribute('data-state', /running|queued/, { timeout: COMPUTE_TIMEOUT });
  await page.getByTestId('job-cancel').click();
  await expect(job).toHaveAttribute('data-state', 'cancelled', { timeout: PIPELINE_TIMEOUT });
  await expect(page.getByTestId('job-cancel')).toHaveCount(0);
  await screenshot('train-cancelled');
});
