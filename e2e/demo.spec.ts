// The demo workspace on the shipped language model, end to end in browser mode: `sae-explorer demo`
// builds it (the real command, reduced in size so the run fits a test), `serve` opens it, and the
// feature pages, the family tree and the map of its three sizes are looked at and saved as
// test-results/demo-*.png. docs/demo.md's screenshots come from this spec run on the full demo:
//   SAE_DEMO_WORKSPACE=./workspace SAE_DEMO_FEATURES=256/0,256/2 SAE_DEMO_TREES=256/0 npx playwright test e2e/demo.spec.ts
// (the workspace is served as it is and left untouched; without the variable a reduced demo is built
// in a temporary one).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import { APP_ROOT, startServe, type ServeProcess } from './helpers/serve.js';

test.describe.configure({ mode: 'serial' });

const MODEL = 'sotu-gpt2';
const FAMILY = 'demo-sotu-gpt2-blocks.2.hook_resid_pre';
const SIZES = [256, 512, 1024];
const SETUP_TIMEOUT = 900_000;
const COMPUTE_TIMEOUT = 60_000;
const run = promisify(execFile);

/** "256/0,1024/17" → [{ size: 256, latent: 0 }, …]; the first latent of the smallest size when unset. */
function latentList(value: string | undefined): Array<{ size: number; latent: number }> {
  if (!value) return [{ size: SIZES[0]!, latent: 0 }];
  return value.split(',').map((item) => {
    const match = /^(\d+)\/(\d+)$/.exec(item.trim());
    if (!match) throw new Error(`expected size/latent items like 512/0, got "${item}"`);
    return { size: Number(match[1]), latent: Number(match[2]) };
  });
}

const FEATURES = latentList(process.env.SAE_DEMO_FEATURES);
const TREES = latentList(process.env.SAE_DEMO_TREES);

let server: ServeProcess;
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(SETUP_TIMEOUT);
  const given = process.env.SAE_DEMO_WORKSPACE;
  server = await startServe({}, given ? { workspace: path.resolve(given) } : {});
  if (!given) {
    // The full demo trains on 1M tokens; the same pipeline on 16k tokens is enough to look at.
    await run(process.execPath, [path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), 'demo', '--workspace', server.workspace, '--tokens', '16384', '--eval-tokens', '0', '--harvest-tokens', '8192', '--checkpoint-tokens', '16384'], { cwd: APP_ROOT, maxBuffer: 1 << 24 });
  }
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

test.afterAll(async () => {
  await page?.close();
  await server?.stop();
});

const featureUrl = (size: number, latent: number, pane = '') => `${server.url}#/feature/${MODEL}/${encodeURIComponent(`${FAMILY}/${size}`)}/${latent}${pane}`;

test('the home screen lists the shipped model and the demo family of three sizes', async () => {
  await page.goto(server.url);
  await expect(page.getByTestId('families')).toContainText(FAMILY, { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('families')).toContainText(SIZES.join(', '));
  await page.screenshot({ path: 'test-results/demo-home.png', fullPage: true });
});

test('feature pages of the demo show top contexts from the corpus and the tokens they promote', async () => {
  for (const { size, latent } of FEATURES) {
    await page.goto(featureUrl(size, latent));
    await expect(page.getByTestId('feature-title')).toHaveText(`${FAMILY}/${size} #${latent}`, { timeout: COMPUTE_TIMEOUT });
    await expect(page.getByTestId('context').first()).toBeVisible({ timeout: COMPUTE_TIMEOUT });
    await page.screenshot({ path: `test-results/demo-feature-${size}-${latent}.png`, fullPage: false });
  }
});

test('a latent of the smallest size opens its family tree across the three sizes', async () => {
  for (const { size, latent } of TREES) {
    await page.goto(featureUrl(size, latent, '/tree'));
    await expect(page.getByTestId('tree-node').first()).toContainText(`${FAMILY}/${size} #${latent}`, { timeout: COMPUTE_TIMEOUT });
    await page.getByTestId('pane-tree').screenshot({ path: `test-results/demo-tree-${size}-${latent}.png` });
  }
});

test('the map holds every latent of the three sizes', async () => {
  await page.goto(`${server.url}#/map/${FAMILY}`);
  const total = SIZES.reduce((a, b) => a + b, 0);
  await expect(page.getByTestId('map-screen')).toHaveAttribute('data-points', String(total), { timeout: COMPUTE_TIMEOUT });
  await expect(page.getByTestId('map-legend')).toHaveText(/d_sae\s*256\s*512\s*1024/);
  await page.screenshot({ path: 'test-results/demo-map.png' });
});
