// The dashboards in a real browser (Debian's chromium, headless, driven by the SDK's
// playwright-core): opens every module, waits until Shiny is idle and plotly has drawn,
// and prints one JSON line with what it saw: plotly.js version, page errors, Shiny
// error outputs, KPI texts, charts drawn, a filter change, and a CSV download set
// against its table. With SCREENSHOT_DIR set it also saves one PNG per module.
//
// Env: DASHBOARD_URL (from .local/stack.env); CHROMIUM_PATH (default /usr/bin/chromium);
// SCREENSHOT_DIR (optional); FILTER_DEVICE (a device type to filter on; default: the first offered).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const { chromium } = await import(
  pathToFileURL(join(repo, 'sdk', 'node_modules', 'playwright-core', 'index.mjs')).href
);

const dashboardUrl = (process.env.DASHBOARD_URL || '').replace(/\/$/, '');
if (!dashboardUrl) throw new Error('DASHBOARD_URL is not set: run this with the local stack environment');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const screenshotDir = process.env.SCREENSHOT_DIR || '';
const TABS = ['traffic', 'funnels', 'products', 'acquisition', 'reliability'];
const TIMEOUT = 60000;

const userDataDir = mkdtempSync(join(tmpdir(), 'clickstream-dashboard-'));
const downloadDir = mkdtempSync(join(tmpdir(), 'clickstream-downloads-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  acceptDownloads: true,
  downloadsPath: downloadDir,
  viewport: { width: 1440, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const pageErrors = [];
const consoleErrors = [];
const failedResponses = [];
const report = { url: dashboardUrl, tabs: {}, pageErrors, consoleErrors, failedResponses };

const idle = async (page) => {
  // Shiny is busy while it has pending outputs; plotly draws after the output arrives.
  await page.waitForFunction(
    () =>
      window.Shiny && window.Shiny.shinyapp && window.Shiny.shinyapp.isConnected() &&
      !document.documentElement.classList.contains('shiny-busy') &&
      document.querySelectorAll('.recalculating').length === 0,
    null,
    { timeout: TIMEOUT, polling: 200 },
  );
  await page.waitForTimeout(600);
  await page.waitForFunction(
    () => !document.documentElement.classList.contains('shiny-busy'),
    null,
    { timeout: TIMEOUT, polling: 200 },
  );
};

const inspectTab = (page, tab) =>
  page.evaluate((tab) => {
    const pane = document.querySelector(`.tab-pane[data-value="${tab}"]`);
    const text = (el) => el.textContent.replace(/\s+/g, ' ').trim();
    const errors = [...pane.querySelectorAll('.shiny-output-error')]
      .filter((el) => !el.classList.contains('shiny-output-error-validation'))
      .map(text);
    const validation = [...pane.querySelectorAll('.shiny-output-error-validation')].map(text);
    const charts = [...pane.querySelectorAll('.js-plotly-plot')];
    return {
      errors,
      validation,
      charts: charts.length,
      // A chart has drawn when its SVG holds at least one trace (bars, lines, funnel).
      chartsDrawn: charts.filter((c) => c.querySelector('.main-svg') && c.querySelectorAll('g.trace, g.funnel, g.bars path').length > 0).length,
      chartTitles: charts.map((c) => (c.querySelector('.gtitle') ? c.querySelector('.gtitle').textContent : '')),
      kpis: [...pane.querySelectorAll('.kpi-card')].map((card) => ({
        title: text(card.querySelector('.kpi-title') || card),
        value: text(card.querySelector('.kpi-value') || card),
      })),
      tables: [...pane.querySelectorAll('.datatables')].length,
      downloads: [...pane.querySelectorAll('a.shiny-download-link')].map((a) => a.id),
    };
  }, tab);

const kpiValue = (page, tab, title) =>
  page.evaluate(
    ([tab, title]) => {
      const pane = document.querySelector(`.tab-pane[data-value="${tab}"]`);
      const card = [...pane.querySelectorAll('.kpi-card')].find((c) =>
        (c.querySelector('.kpi-title') || c).textContent.trim().startsWith(title),
      );
      return card ? card.querySelector('.kpi-value').textContent.trim() : null;
    },
    [tab, title],
  );

try {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('response', (response) => {
    if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  await page.goto(dashboardUrl + '/', { waitUntil: 'load', timeout: TIMEOUT });
  await idle(page);
  report.plotlyVersion = await page.evaluate(() => (window.Plotly ? window.Plotly.version : null));

  for (const tab of TABS) {
    await page.click(`a[data-value="${tab}"]`);
    await page.waitForSelector(`.tab-pane[data-value="${tab}"].active`, { timeout: TIMEOUT });
    await idle(page);
    report.tabs[tab] = await inspectTab(page, tab);
    report.tabs[tab].query = new URL(page.url()).search;
    if (screenshotDir) {
      await page.screenshot({ path: join(screenshotDir, `dashboard-${tab}.png`), fullPage: true });
    }
  }

  // A filter change changes the numbers: one device type instead of all.
  await page.click('a[data-value="traffic"]');
  await idle(page);
  const before = await kpiValue(page, 'traffic', 'Sessions');
  // The boxes offer what the warehouse holds; on a stack that has just started they fill
  // in once the first loads are in (the app refreshes them), as a person would see.
  await page
    .waitForFunction(
      () => {
        const s = document.getElementById('filters-device').selectize;
        return s && Object.keys(s.options).length >= 2;
      },
      null,
      { timeout: TIMEOUT, polling: 500 },
    )
    .catch(() => {});
  const device = await page.evaluate((wanted) => {
    const s = document.getElementById('filters-device').selectize;
    const options = Object.keys(s.options).sort();
    const chosen = wanted && options.includes(wanted) ? wanted : options[0];
    if (chosen) s.setValue([chosen]);
    return { options, chosen };
  }, process.env.FILTER_DEVICE || '');
  // The filters are debounced and the query runs server-side: on a loaded machine the
  // new numbers can arrive after the page looks idle, so wait for the change itself
  // (bounded), then for quiet.
  await page
    .waitForFunction(
      ([previous]) => {
        const pane = document.querySelector('.tab-pane[data-value="traffic"]');
        const card = [...pane.querySelectorAll('.kpi-card')].find((c) =>
          (c.querySelector('.kpi-title') || c).textContent.trim().startsWith('Sessions'),
        );
        const value = card ? card.querySelector('.kpi-value').textContent.trim() : null;
        return value !== null && value !== previous;
      },
      [before],
      { timeout: TIMEOUT, polling: 250 },
    )
    .catch(() => {});
  await idle(page);
  const after = await kpiValue(page, 'traffic', 'Sessions');
  report.filterChange = { device, before, after, query: new URL(page.url()).search };

  // The CSV download of the pages table against the table's own rows.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: TIMEOUT }),
    page.click('#traffic-pages_csv'),
  ]);
  const csvPath = join(downloadDir, 'pages.csv');
  await download.saveAs(csvPath);
  // What the table shows: its header, the rows of the current page, and its row count.
  const table = await page.evaluate(() => {
    const root = document.getElementById('traffic-pages_table');
    const cells = (tr, tag) => [...tr.querySelectorAll(tag)].map((c) => c.textContent.trim());
    const head = root.querySelector('.dataTables_scrollHead thead tr') || root.querySelector('thead tr');
    const body = root.querySelector('.dataTables_scrollBody tbody') || root.querySelector('tbody');
    const info = (root.querySelector('.dataTables_info') || { textContent: '' }).textContent;
    const match = info.match(/of ([0-9,]+) entries/);
    return {
      headers: cells(head, 'th'),
      rows: [...body.querySelectorAll('tr')].map((tr) => cells(tr, 'td')),
      total: match ? Number(match[1].replace(/,/g, '')) : null,
    };
  });
  report.csv = { filename: download.suggestedFilename(), text: readFileSync(csvPath, 'utf8'), table };

  // Bookmark: the URL alone restores the filter in a fresh page.
  const bookmarked = page.url();
  const second = await context.newPage();
  second.on('pageerror', (error) => pageErrors.push(String(error)));
  await second.goto(bookmarked, { waitUntil: 'load', timeout: TIMEOUT });
  await idle(second);
  report.bookmark = {
    url: bookmarked,
    device: await second.evaluate(() => document.getElementById('filters-device').selectize.getValue()),
    sessions: await kpiValue(second, 'traffic', 'Sessions'),
  };
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  rmSync(downloadDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
