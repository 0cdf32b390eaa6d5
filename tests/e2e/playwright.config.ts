import path from 'node:path';
import { defineConfig } from '@playwright/test';

const artefacts = path.resolve(__dirname, '..', '..', 'build', 'e2e');

export default defineConfig({
  testDir: './specs',
  outputDir: path.join(artefacts, 'test-results'),
  // One cohort serve per test file; two files at a time on a 2-core machine.
  workers: Number(process.env.E2E_WORKERS ?? 2),
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  globalTimeout: 10 * 60_000,
  expect: { timeout: 7_000 },
  reporter: [['list'], ['html', { outputFolder: path.join(artefacts, 'report'), open: 'never' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium, never a downloaded browser. Playwright gives every launch a fresh
      // temporary user-data-dir.
      executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
      ],
    },
  },
});
