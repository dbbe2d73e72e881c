// Browser mode end to end: the engine in the status bar and the Doctor panel behind it.
import { expect, test } from '@playwright/test';
import { startServe, type ServeProcess } from './helpers/serve.js';

let serve: ServeProcess;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  await serve?.stop();
});

test('shows the engine in the status bar, and the Doctor panel with every CUDA library and the fixes', async ({ page }) => {
  await page.goto(serve.url);
  // The backend depends on what this machine has installed; the form of the summary does not.
  const status = page.getByTestId('engine-status');
  await expect(status).toHaveText(/^(⚠ )?(gpu|tensorflow|wasm|cpu) · .*\d+ threads?$/, { timeout: 60_000 });
  await status.click();
  const doctor = page.getByTestId('doctor-dialog');
  await expect(doctor.getByTestId('doctor-backend')).toHaveText(/^(gpu|tensorflow|wasm|cpu) \(@tensorflow\//);
  // One row per library tfjs-node-gpu opens, plus the header.
  await expect(doctor.getByTestId('doctor-cuda').getByRole('row')).toHaveCount(9);
  await expect(doctor.getByTestId('doctor-cuda')).toContainText('libcudnn.so.8');
  await page.screenshot({ path: 'test-results/doctor.png' });
  await doctor.getByRole('button', { name: 'Close' }).click();
  await expect(doctor).toBeHidden();
});
