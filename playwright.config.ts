// End-to-end tests. Browser mode runs in Debian's Chromium (Playwright's own browser download is not
// reachable everywhere) against `sae-explorer serve` on a temporary workspace; the Electron project
// runs the desktop shell where the Electron binary is installed and reports skipped elsewhere.
import { defineConfig } from '@playwright/test';

const CHROMIUM = process.env.SAE_E2E_CHROMIUM ?? '/usr/bin/chromium';
const ELECTRON_SPECS = /electron\.spec\.ts$/;

export default defineConfig({
  testDir: 'e2e',
  // Specs save their screenshots under test-results/ themselves; Playwright's own artifacts go below.
  outputDir: 'test-results/playwright',
  globalSetup: './e2e/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  // The compute work shares a small machine; one worker keeps timings sane.
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'browser',
      testIgnore: ELECTRON_SPECS,
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM,
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        },
      },
    },
    { name: 'electron', testMatch: ELECTRON_SPECS },
  ],
});
