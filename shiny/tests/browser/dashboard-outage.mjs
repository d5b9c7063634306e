// The "database unavailable" banner in a real browser: opens the dashboards while the
// warehouse is down, prints BANNER_SHOWN once the banner is there (the caller then starts
// the database again), waits until the banner goes away by itself and the numbers are
// back, and prints one JSON line with what it saw.
//
// Env: DASHBOARD_URL; CHROMIUM_PATH (default /usr/bin/chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const { chromium } = await import(
  pathToFileURL(join(repo, 'sdk', 'node_modules', 'playwright-core', 'index.mjs')).href
);
const dashboardUrl = (process.env.DASHBOARD_URL || '').replace(/\/$/, '');
const userDataDir = mkdtempSync(join(tmpdir(), 'clickstream-dashboard-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const pageErrors = [];
const report = { pageErrors };
try {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  // A date range no earlier page asked for: the panels cannot answer from the app's
  // short-lived result cache and must show what a dead database means for them.
  await page.goto(dashboardUrl + '/?tab=traffic&from=2021-01-04&to=2021-01-10', {
    waitUntil: 'load',
    timeout: 60000,
  });
  await page.waitForSelector('#db-down', { state: 'visible', timeout: 90000 });
  report.bannerText = (await page.textContent('#db-down')).replace(/\s+/g, ' ').trim();
  // The banner comes from the connection check; the panels render their own note a
  // moment later (later still on a loaded machine): wait for it rather than race it.
  await page
    .waitForFunction(
      () =>
        [...document.querySelectorAll('.tab-pane.active .shiny-output-error-validation')].some((e) =>
          /unavailable/.test(e.textContent),
        ),
      null,
      { timeout: 60000, polling: 500 },
    )
    .catch(() => {});
  report.validation = await page.evaluate(() =>
    [...document.querySelectorAll('.tab-pane.active .shiny-output-error-validation')].map((e) => e.textContent.trim()),
  );
  report.rErrors = await page.evaluate(() =>
    [...document.querySelectorAll('.shiny-output-error:not(.shiny-output-error-validation)')].map((e) => e.textContent.trim()),
  );
  console.log('BANNER_SHOWN');
  await page.waitForSelector('#db-down', { state: 'detached', timeout: 120000 });
  // The outage notes go away by themselves once the database answers...
  await page.waitForFunction(
    () =>
      ![...document.querySelectorAll('.tab-pane.active .shiny-output-error-validation')].some((e) =>
        /unavailable/.test(e.textContent),
      ),
    null,
    { timeout: 60000, polling: 500 },
  );
  // ...and the default view shows the warehouse's numbers again.
  await page.goto(dashboardUrl + '/', { waitUntil: 'load', timeout: 60000 });
  await page.waitForFunction(
    () => {
      const card = [...document.querySelectorAll('.tab-pane.active .kpi-card')].find((c) =>
        c.querySelector('.kpi-title').textContent.trim() === 'Sessions');
      return card && /[1-9]/.test(card.querySelector('.kpi-value').textContent);
    },
    null,
    { timeout: 60000, polling: 500 },
  );
  report.recovered = true;
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
