// Browser mode end to end: the served app lists a fresh workspace, creates a tiny model through the
// API and lists it; the token guards the API, leaves the address bar once read, and stays with the tab.
import { expect, test } from '@playwright/test';
import { startServe, type ServeProcess } from './helpers/serve.js';

let serve: ServeProcess;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  await serve?.stop();
});

test('opens the app, lists the workspace, creates a tiny model and sees it listed', async ({ page }) => {
  // CSP violations (e.g. the events WebSocket refused) and script errors surface on the console.
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(serve.url);
  await expect(page.getByTestId('workspace-root')).toHaveText(serve.workspace);
  // The header names the node the compute process runs on.
  await expect(page.getByTestId('engine-state')).toContainText(`node ${process.version}`);
  // The page keeps the token (sessionStorage) and takes it out of the address bar and history; no
  // cookie carries it, since cookies would reach every other server on 127.0.0.1.
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  expect(await page.context().cookies()).toEqual([]);
  await expect(page.getByTestId('datasets')).toContainText('embedded:sotu');
  await expect(page.getByTestId('models')).toHaveCount(0);

  await page.locator('input[name="tiny-name"]').fill('tiny-e2e');
  await page.getByRole('button', { name: 'Create tiny model' }).click();
  const row = page.getByTestId('models').getByRole('row', { name: /tiny-e2e/ });
  await expect(row).toContainText('tiny random GPT-2', { timeout: 60_000 });
  await expect(row).toContainText('64');
  await page.screenshot({ path: 'test-results/workspace-home.png' });

  // A reload, with no token in the address bar, still works (the tab kept it) and sees the model on disk.
  await page.reload();
  await expect(page.getByTestId('models').getByRole('row', { name: /tiny-e2e/ })).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('refuses a browser without the token', async ({ browser }) => {
  const stranger = await browser.newContext();
  const page = await stranger.newPage();
  // The app's own code loads (it holds no secret); the workspace does not, and the page says why.
  await page.goto(serve.origin);
  await expect(page.getByTestId('error').first()).toContainText('this page has no token: open the URL that `sae-explorer serve` printed');
  await expect(page.getByTestId('workspace-root')).toHaveText('…');
  const api = await page.request.post(`${serve.origin}/api/workspace.list`, { data: {} });
  expect(api.status()).toBe(401);
  await stranger.close();
});

test('Get started builds the demo here in one click, watched on the Train screen', async ({ page }) => {
  await page.goto(serve.url);
  await page.getByTestId('build-demo').click();
  await expect(page.getByTestId('job-title')).toContainText('build the demo', { timeout: 60_000 });
  // The shipped model is in the workspace as soon as the job starts; the build itself takes minutes,
  // so the test stops it here.
  await expect(page.getByTestId('job-cancel')).toBeVisible();
  await page.getByTestId('job-cancel').click();
  await expect(page.getByTestId('train-job')).toHaveAttribute('data-state', 'cancelled', { timeout: 120_000 });
  await page.getByTestId('tab-home').click();
  await expect(page.getByTestId('models').getByRole('row', { name: /sotu-gpt2/ })).toBeVisible();
});
