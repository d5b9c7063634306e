// A shopper in a real browser (Debian's chromium, headless, driven by playwright-core):
// browse -> search -> add to cart -> checkout -> purchase on the demo store served by
// the local stack, then clicks while offline, then signs in. It prints one JSON line
// describing what it did (ids, order id, the raw Cognito sub) so that the Python test
// can check what reached S3 through the real local API.
//
// Env: SITE_URL, API_URL, DEMO_USERNAME, DEMO_PASSWORD (from .local/stack.env);
// CHROMIUM_PATH (default /usr/bin/chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this with the local stack's environment`);
  return value;
};
const siteUrl = need('SITE_URL').replace(/\/$/, '');
const apiUrl = need('API_URL').replace(/\/$/, '');
const username = need('DEMO_USERNAME');
const password = need('DEMO_PASSWORD');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// The SDK batches for 1 s; beacons go at page hide. This is how long we let a flush happen.
const FLUSH_WAIT_MS = 2500;

const userDataDir = mkdtempSync(join(tmpdir(), 'clickstream-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});

// What the pages actually send to the ingest API (fetch and, where chromium reports them, beacons).
const requests = [];
context.on('request', (request) => {
  if (request.method() === 'POST' && request.url().startsWith(apiUrl + '/v1/events')) {
    let ids;
    try {
      ids = JSON.parse(request.postData() || '{}').events.map((e) => e.event_id);
    } catch {
      ids = [];
    }
    requests.push({ type: request.resourceType(), ids });
  }
});
const pageErrors = [];

const storedEvents = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('clickstream');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('queue').objectStore('queue').getAll();
          all.onsuccess = () => resolve(all.result.map((e) => ({ id: e.event_id, type: e.event_type })));
        };
      }),
  );

async function newPage() {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
  return page;
}

try {
  // Chromium may quit when its last window closes; this blank one stays open to the end.
  const keeper = context.pages()[0] || (await context.newPage());
  await keeper.goto('about:blank');
  const page = await newPage();

  // Browse: home -> a category -> a product -> add to cart.
  await page.goto(siteUrl + '/');
  await page.waitForSelector('#products');
  await Promise.all([page.waitForURL(/category\.html/), page.click('a.category-link >> text=Laptops')]);
  await page.waitForSelector('#products');
  await Promise.all([page.waitForURL(/product\.html/), page.click('.product-link >> nth=0')]);
  await page.click('#add-to-cart');

  // Search, and add a result straight from the list.
  await page.fill('#q', 'usb');
  await Promise.all([page.waitForURL(/search\.html/), page.press('#q', 'Enter')]);
  await page.waitForSelector('#products');
  await page.click('.quick-add >> nth=0');

  // Cart -> checkout -> purchase.
  await Promise.all([page.waitForURL(/cart\.html/), page.click('#cart-link')]);
  await Promise.all([page.waitForURL(/checkout\.html/), page.click('#checkout')]);
  await Promise.all([page.waitForURL(/confirmation\.html/), page.click('#place-order')]);
  const orderId = new URL(page.url()).searchParams.get('order');

  // Offline: clicks while the network is gone stay in IndexedDB, then leave once on reconnect.
  await Promise.all([page.waitForURL(/category\.html/), page.goto(siteUrl + '/category.html?c=Mice')]);
  await page.waitForSelector('#products');
  await page.waitForTimeout(FLUSH_WAIT_MS);
  await context.setOffline(true);
  await page.click('.quick-add >> nth=0');
  await page.click('.quick-add >> nth=1');
  await page.waitForTimeout(FLUSH_WAIT_MS);
  const offline = await storedEvents(page);
  await context.setOffline(false);
  await page.waitForTimeout(FLUSH_WAIT_MS);
  const pendingAfterReconnect = await storedEvents(page);

  // Offline again, and the page closes before reconnecting: the next page load sends them.
  await context.setOffline(true);
  await page.click('.quick-add >> nth=1');
  const closedOffline = await storedEvents(page);
  // runBeforeUnload: the page goes through pagehide as when a shopper closes the tab.
  const pageClosed = new Promise((resolve) => page.once('close', resolve));
  await page.close({ runBeforeUnload: true });
  await pageClosed;
  await context.setOffline(false);
  const next = await newPage();
  await next.goto(siteUrl + '/');
  await next.waitForSelector('#products');
  await next.waitForTimeout(FLUSH_WAIT_MS);
  const pendingAfterReload = await storedEvents(next);
  const identity = await next.evaluate(() => ({
    anonymousId: localStorage.getItem('cs_aid'),
    sessionId: JSON.parse(localStorage.getItem('cs_sid'))[0],
  }));

  // Sign in against the local Cognito user pool; later events carry the token.
  await Promise.all([next.waitForURL(/signin\.html/), next.click('#sign-in-link')]);
  await next.fill('#username', username);
  await next.fill('#password', password);
  await Promise.all([next.waitForURL(siteUrl + '/'), next.click('#sign-in')]);
  await next.waitForSelector('#sign-out');
  const idToken = await next.evaluate(() => sessionStorage.getItem('demo_id_token'));
  const sub = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()).sub;
  await Promise.all([next.waitForURL(/category\.html/), next.click('a.category-link >> text=Monitors')]);
  await next.waitForSelector('#products');
  await next.waitForTimeout(FLUSH_WAIT_MS);
  const nextClosed = new Promise((resolve) => next.once('close', resolve));
  await next.close({ runBeforeUnload: true });
  await nextClosed;

  console.log(
    JSON.stringify({
      orderId,
      offlineIds: offline.map((e) => e.id),
      offlineTypes: offline.map((e) => e.type),
      pendingAfterReconnect: pendingAfterReconnect.length,
      closedOfflineIds: closedOffline.map((e) => e.id),
      pendingAfterReload: pendingAfterReload.length,
      anonymousId: identity.anonymousId,
      sessionId: identity.sessionId,
      sub,
      requests,
      pageErrors,
    }),
  );
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
