// A shopper in a real browser (Debian's chromium, headless, driven by playwright-core) on
// the demo store served by the local stack, with human-like pauses: browse -> search ->
// add to cart -> checkout -> purchase. With faults on (the default) it then clicks while
// offline, closes a tab while offline, crashes a page before its events were sent, and
// signs in. It prints one JSON line: what the pages tracked, what the ingest API
// received (each POST: beacon or fetch, its event types and pages), the page hides in
// order, and ids the Python test (tests/e2e/test_sdk_browser.py) checks in S3.
//
// What the pages track is read at the source: every event the SDK queues is written to
// IndexedDB first (IDBObjectStore.add), reported to this script through a binding. What
// the API received is counted by a forwarding proxy between the pages and the API, so
// beacons sent while a tab closes count too (DevTools loses those with the page).
//
// Env: SITE_URL, API_URL, DEMO_USERNAME, DEMO_PASSWORD (from .local/stack.env);
// CHROMIUM_PATH (default /usr/bin/chromium);
// JOURNEY_TIME_SCALE (default 1): multiplies every pause AND the SDK's flushMs, so that a
//   scaled-down run keeps the proportions of a human one (the SDK's timers are real);
// JOURNEY_SEED (default 14): the pauses' jitter; JOURNEY_FAULTS=0: the shopping part only;
// JOURNEY_SDK_OPTIONS: JSON init options (e.g. {"batchSize":10,"flushMs":1000}), the
//   SDK's defaults otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DEFAULT_FLUSH_MS } from '../../dist/esm/full.js';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this with the local stack's environment`);
  return value;
};
const siteUrl = need('SITE_URL').replace(/\/$/, '');
const apiUrl = new URL(need('API_URL'));
const faults = process.env.JOURNEY_FAULTS !== '0';
const username = faults ? need('DEMO_USERNAME') : '';
const password = faults ? need('DEMO_PASSWORD') : '';
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const timeScale = Number(process.env.JOURNEY_TIME_SCALE || '1');
if (!(timeScale > 0))
  throw new Error(`JOURNEY_TIME_SCALE must be a positive number, got ${process.env.JOURNEY_TIME_SCALE}`);
const sdkOptions = JSON.parse(process.env.JOURNEY_SDK_OPTIONS || '{}');
sdkOptions.flushMs = Math.round((sdkOptions.flushMs ?? DEFAULT_FLUSH_MS) * timeScale);
// How long to wait for something that happens at once (a reconnect flush, a restore).
const SETTLE_MS = 2000;
// Beacons of the last page hide may still be on their way when the last tab closes.
const ARRIVAL_TIMEOUT_MS = 15000;

// Seeded pauses (mulberry32): the same journey, to the millisecond, on every run.
let seed = Number(process.env.JOURNEY_SEED || '14') >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
let humanMs = 0;
/** A shopper's pause of about `seconds` (+-30 %), scaled by JOURNEY_TIME_SCALE. */
const pause = (page, seconds) => {
  const ms = seconds * 1000 * (0.7 + 0.6 * random());
  humanMs += ms;
  return page.waitForTimeout(Math.round(ms * timeScale));
};

// --- the counting proxy: pages -> here -> the API ---------------------------------------
const received = { posts: 0, preflights: 0, events: 0, ids: [], statuses: {}, batches: [], requests: [] };
// A beacon of a CORS-safelisted body is a no-cors request; the SDK's fetch is a cors one.
const via = (headers) => ({ 'no-cors': 'beacon', cors: 'fetch' })[headers['sec-fetch-mode']] || 'unknown';
const pageOf = (url) => {
  const { pathname, search } = new URL(url);
  return pathname + search;
};
const proxy = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const upstream = http.request(
      { host: apiUrl.hostname, port: apiUrl.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        const parts = [];
        answer.on('data', (part) => parts.push(part));
        answer.on('end', () => {
          if (request.method === 'OPTIONS') received.preflights++;
          if (request.method === 'POST' && request.url.startsWith('/v1/events')) {
            received.posts++;
            received.statuses[answer.statusCode] = (received.statuses[answer.statusCode] || 0) + 1;
            try {
              const events = JSON.parse(body.toString()).events;
              const ids = events.map((e) => e.event_id);
              received.events += ids.length;
              received.batches.push(events.map((e) => e.event_type).join(' '));
              received.requests.push({
                via: via(request.headers),
                status: answer.statusCode,
                ids,
                types: events.map((e) => e.event_type),
                pages: [...new Set(events.map((e) => pageOf(e.page_url)))],
              });
              if (answer.statusCode < 300) received.ids.push(...ids);
            } catch {
              // Not a batch: the API answered 400 and the test sees it in statuses.
            }
          }
          response.writeHead(answer.statusCode, answer.headers);
          response.end(Buffer.concat(parts));
        });
      },
    );
    upstream.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    upstream.end(body);
  });
});
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
sdkOptions.endpoint = `http://127.0.0.1:${proxy.address().port}`;

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

// Every event a page queues, in order: the SDK writes each to IndexedDB before it waits,
// and this init script notes its id in localStorage at that moment (synchronous, so the
// note survives a tab closing or a renderer crash right after).
await context.addInitScript((options) => {
  window.STORE_SDK_OPTIONS = options;
  const add = IDBObjectStore.prototype.add;
  IDBObjectStore.prototype.add = function (value, ...rest) {
    if (value && value.event_id) {
      const noted = JSON.parse(localStorage.getItem('journey_tracked') || '[]');
      localStorage.setItem('journey_tracked', JSON.stringify([...noted, [value.event_id, value.event_type]]));
    }
    return add.call(this, value, ...rest);
  };
  // Every page hide of a page that runs the SDK (a navigation or a closed tab), in order.
  addEventListener('pagehide', () => {
    if (!window.clickstream) return;
    const hides = JSON.parse(localStorage.getItem('journey_hides') || '[]');
    localStorage.setItem('journey_hides', JSON.stringify([...hides, location.pathname + location.search]));
  });
}, sdkOptions);
/** What the pages tracked so far, read through `page` (any page of the store's origin). */
const trackedBy = async (page) =>
  (await page.evaluate(() => JSON.parse(localStorage.getItem('journey_tracked') || '[]'))).map(([id, type]) => ({
    id,
    type,
  }));
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

/** Close a tab as a shopper does: pagehide and visibilitychange run, beacons leave. */
async function closeTab(page) {
  const closed = new Promise((resolve) => page.once('close', resolve));
  await page.close({ runBeforeUnload: true });
  await closed;
}

const step = (what) => process.stderr.write(`${new Date().toISOString()} ${what}\n`);

let report;
try {
  // Chromium may quit when its last window closes; this blank one stays open to the end.
  const keeper = context.pages()[0] || (await context.newPage());
  await keeper.goto('about:blank');
  const page = await newPage();

  step('Browse');
  // Browse: home -> a category -> a product, read it, add to cart.
  await page.goto(siteUrl + '/');
  await page.waitForSelector('#products');
  await pause(page, 6);
  await Promise.all([page.waitForURL(/category\.html/), page.click('a.category-link >> text=Laptops')]);
  await page.waitForSelector('#products');
  await pause(page, 10);
  await Promise.all([page.waitForURL(/product\.html/), page.click('.product-link >> nth=0')]);
  await pause(page, 25);
  await page.click('#add-to-cart');
  await pause(page, 4);

  step('Search');
  // Search, add a result straight from the list, look at another one.
  await page.fill('#q', 'usb');
  await Promise.all([page.waitForURL(/search\.html/), page.press('#q', 'Enter')]);
  await page.waitForSelector('#products');
  await pause(page, 12);
  await page.click('.quick-add >> nth=0');
  await pause(page, 3);
  await Promise.all([page.waitForURL(/product\.html/), page.click('.product-link >> nth=1')]);
  await pause(page, 15);

  step('Cart -> checkout');
  // Cart -> checkout -> purchase.
  await Promise.all([page.waitForURL(/cart\.html/), page.click('#cart-link')]);
  await pause(page, 8);
  await Promise.all([page.waitForURL(/checkout\.html/), page.click('#checkout')]);
  await pause(page, 18);
  await Promise.all([page.waitForURL(/confirmation\.html/), page.click('#place-order')]);
  const orderId = new URL(page.url()).searchParams.get('order');
  await pause(page, 5);

  const extra = {};
  let last = page; // a live page of the store, to read what was tracked
  if (!faults) {
    await closeTab(page);
  } else {
    step('offline');
    // Offline: clicks while the network is gone stay in IndexedDB, then leave once on reconnect.
    await Promise.all([page.waitForURL(/category\.html/), page.goto(siteUrl + '/category.html?c=Mice')]);
    await page.waitForSelector('#products');
    await pause(page, 4);
    await context.setOffline(true);
    const offlineMark = (await trackedBy(page)).length;
    await page.click('.quick-add >> nth=0');
    await page.click('.quick-add >> nth=1');
    await pause(page, 6);
    const offline = (await trackedBy(page)).slice(offlineMark);
    const offlineStored = await storedEvents(page);
    extra.offlineIds = offline.map((e) => e.id);
    extra.offlineTypes = offline.map((e) => e.type);
    extra.offlineStored = extra.offlineIds.every((id) => offlineStored.some((e) => e.id === id));
    extra.offlineSentBeforeReconnect = extra.offlineIds.filter((id) => received.ids.includes(id));
    await context.setOffline(false);
    await page.waitForTimeout(SETTLE_MS);
    extra.pendingAfterReconnect = (await storedEvents(page)).length;

    step('tab closed offline');
    // Offline again, and the tab closes before reconnecting: the next page load sends them.
    await context.setOffline(true);
    const closedMark = (await trackedBy(page)).length;
    await page.click('.quick-add >> nth=1');
    await pause(page, 2);
    extra.closedOfflineIds = (await trackedBy(page)).slice(closedMark).map((e) => e.id);
    const closedStored = await storedEvents(page);
    extra.closedOfflineStored = extra.closedOfflineIds.every((id) => closedStored.some((e) => e.id === id));
    await closeTab(page);
    await context.setOffline(false);
    const next = await newPage();
    await next.goto(siteUrl + '/');
    await next.waitForSelector('#products');
    await next.waitForTimeout(SETTLE_MS);
    extra.pendingAfterReload = (await storedEvents(next)).length;
    await pause(next, 3);
    await closeTab(next);

    step('crash');
    // A crash: the page dies before its events were sent (the interval has not passed, and
    // nothing older was waiting to pull them along); the next page load sends them.
    const doomed = await newPage();
    await doomed.goto(siteUrl + '/category.html?c=Keyboards');
    await doomed.waitForSelector('#products');
    const crashMark = (await trackedBy(doomed)).length;
    await doomed.click('.quick-add >> nth=0');
    await doomed.waitForTimeout(200); // the IndexedDB write commits
    const crashedTracked = await trackedBy(doomed);
    const crashedStored = await storedEvents(doomed);
    // This page's view and list impressions, and the click.
    extra.crashedIds = crashedTracked.slice(crashMark - 2).map((e) => e.id);
    extra.crashedStored = extra.crashedIds.every((id) => crashedStored.some((e) => e.id === id));
    extra.crashedSentBeforeCrash = extra.crashedIds.filter((id) => received.ids.includes(id));
    const cdp = await context.newCDPSession(doomed);
    const crashed = new Promise((resolve) => doomed.once('crash', resolve));
    // The renderer dies without answering, so the command's promise is not awaited.
    cdp.send('Page.crash').catch(() => {});
    extra.crashReported = await Promise.race([
      crashed.then(() => true),
      new Promise((resolve) => setTimeout(resolve, 10000, false)),
    ]);
    await doomed.close().catch(() => {});

    step('sign in');
    const after = await newPage();
    await after.goto(siteUrl + '/');
    await after.waitForSelector('#products');
    await after.waitForTimeout(SETTLE_MS);
    extra.pendingAfterCrash = (await storedEvents(after)).length;
    const identity = await after.evaluate(() => ({
      anonymousId: localStorage.getItem('cs_aid'),
      sessionId: JSON.parse(localStorage.getItem('cs_sid'))[0],
    }));
    Object.assign(extra, identity);

    // Sign in against the local Cognito user pool; later events carry the token.
    await pause(after, 4);
    await Promise.all([after.waitForURL(/signin\.html/), after.click('#sign-in-link')]);
    await after.fill('#username', username);
    await after.fill('#password', password);
    await Promise.all([after.waitForURL(siteUrl + '/'), after.click('#sign-in')]);
    await after.waitForSelector('#sign-out');
    const idToken = await after.evaluate(() => sessionStorage.getItem('demo_id_token'));
    extra.sub = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()).sub;
    await Promise.all([after.waitForURL(/category\.html/), after.click('a.category-link >> text=Monitors')]);
    await after.waitForSelector('#products');
    await pause(after, 6);
    last = after;
  }

  step('waiting for arrivals');
  // Read the tracked list from a store page that runs no SDK (a 404), after the last tab
  // closed; then wait (bounded) until the API has received everything tracked.
  const reader = await context.newPage(); // its 404 is expected: no error listeners
  if (last !== page || faults) await closeTab(last);
  await reader.goto(siteUrl + '/no-such-page.html');
  const tracked = await trackedBy(reader);
  const hides = await reader.evaluate(() => JSON.parse(localStorage.getItem('journey_hides') || '[]'));
  const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
  while (tracked.some((e) => !received.ids.includes(e.id)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const uniqueReceived = new Set(received.ids);
  report = {
    orderId,
    ...extra,
    sdkOptions: { ...sdkOptions, endpoint: undefined },
    timeScale,
    humanSeconds: Math.round(humanMs / 1000),
    trackedIds: tracked.map((e) => e.id),
    trackedTypes: tracked.map((e) => e.type),
    receivedIds: received.ids,
    missing: tracked.filter((e) => !uniqueReceived.has(e.id)).map((e) => e.id),
    posts: received.posts,
    preflights: received.preflights,
    statuses: received.statuses,
    eventsReceived: received.events,
    eventsPerRequest: received.posts ? received.events / received.posts : 0,
    batches: received.batches,
    requests: received.requests,
    hides,
    pageErrors,
  };
} finally {
  await context.close();
  proxy.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
