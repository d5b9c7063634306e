import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_MS } from '../../src/tracker';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoff, MAX_BATCH_EVENTS, MAX_REQUEST_BYTES } from '../../src/transport';
import { BROWSER_KEEPALIVE_BYTES, expectValid, fakeNetwork, hidePage, INGEST_URL, loadSdk, settle } from './harness';
import { setOnline } from './setup';

describe('batching', () => {
  it('sends one request when the batch size is reached, events in order', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 3, flushMs: 60_000, autoPageviews: false });
    sdk.track('click', { n: 1 });
    sdk.track('click', { n: 2 });
    await settle();
    expect(network.sent).toHaveLength(0);
    sdk.track('click', { n: 3 });
    await settle();
    expect(network.sent).toHaveLength(1);
    const [request] = network.sent;
    expect(request.url).toBe(INGEST_URL);
    expect(request.contentType).toBe('text/plain;charset=UTF-8');
    expect(request.headers).toEqual({});
    expect(request.body.events.map((e) => e.props?.n)).toEqual([1, 2, 3]);
    expect(Date.parse(request.body.sent_at)).not.toBeNaN();
  });

  it('sends what is queued when the time threshold passes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 10, flushMs: 2000, autoPageviews: false });
    sdk.track('click');
    await vi.advanceTimersByTimeAsync(1999);
    expect(network.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(network.sent).toHaveLength(1);
  });

  it('hands everything to sendBeacon as text/plain at page hide', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 2, flushMs: 60_000, autoPageviews: false });
    sdk.track('click', { n: 1 });
    sdk.track('click', { n: 2 }); // fills a batch: goes by fetch
    sdk.track('click', { n: 3 });
    await settle();
    hidePage();
    await settle();
    expect(network.sent.map((s) => s.via)).toEqual(['fetch', 'beacon']);
    const beacon = network.sent[1];
    expect(beacon.contentType).toBe('text/plain;charset=UTF-8');
    expect(beacon.body.api_key).toBe('site-key-1');
    // The full build also reports engaged time at hide, in the same beacon.
    expect(beacon.body.events.map((e) => e.props?.n ?? e.event_type)).toEqual([3, 'engagement']);
  });

  it('falls back to fetch with keepalive when sendBeacon refuses', async () => {
    const network = fakeNetwork();
    network.beaconAccepts = false;
    const sdk = await loadSdk({ flushMs: 60_000, autoPageviews: false });
    sdk.track('click');
    hidePage();
    await settle();
    expect(network.sent.map((s) => s.via)).toEqual(['fetch']);
    expect(vi.mocked(fetch).mock.calls[0][1]).toMatchObject({ keepalive: true, method: 'POST' });
  });
});

/** About 11 KB of JSON: 20 props of 500 characters, within the contract's limits. */
const bulky = (n: number) =>
  Object.fromEntries([['n', n], ...Array.from({ length: 19 }, (_, i) => [`p${i}`, 'x'.repeat(500)])]);
const bytes = (body: unknown) => new Blob([JSON.stringify(body)]).size;

describe('default batching', () => {
  it('sends at most every 60 s or at 50 events while the page is alive', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const network = fakeNetwork();
    const sdk = await loadSdk({ autoPageviews: false });
    expect([DEFAULT_FLUSH_MS, DEFAULT_BATCH_SIZE]).toEqual([60_000, 50]);
    for (let n = 1; n < 50; n++) sdk.track('click', { n });
    await vi.advanceTimersByTimeAsync(DEFAULT_FLUSH_MS - 1);
    expect(network.sent).toHaveLength(0);
    sdk.track('click', { n: 50 }); // the 50th event fills a batch
    await vi.advanceTimersByTimeAsync(0);
    expect(network.sent.map((s) => s.body.events.length)).toEqual([50]);
    sdk.track('click', { n: 51 });
    await vi.advanceTimersByTimeAsync(DEFAULT_FLUSH_MS - 1);
    expect(network.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(network.events().map((e) => e.props?.n)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it('sends everything queued at page hide, whatever the timer', async () => {
    // Date too, so that the second on the page counts as engaged time (else 0 ms: no event).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    const network = fakeNetwork();
    const sdk = await loadSdk();
    sdk.track('click', { n: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(network.sent).toHaveLength(0);
    hidePage();
    await vi.advanceTimersByTimeAsync(0);
    expect(network.sent.map((s) => s.via)).toEqual(['beacon']);
    expect(network.events().map((e) => e.event_type)).toEqual(['view', 'click', 'engagement']);
  });
});

describe('request size', () => {
  it('splits a batch whose body would pass the keepalive budget, in order, nothing lost', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 20, autoPageviews: false });
    for (let n = 1; n <= 20; n++) sdk.track('click', bulky(n));
    await settle(60);
    expect(network.sent.length).toBeGreaterThan(1);
    for (const request of network.sent) expect(bytes(request.body)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(network.events().map((e) => e.props?.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expectValid(network.events());
  });

  it('never sends more events per request than the ingest API takes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 250, autoPageviews: false });
    for (let n = 1; n <= 250; n++) sdk.track('click', { n });
    // Full requests leave at once; a remainder smaller than the last request waits flushMs.
    await vi.advanceTimersByTimeAsync(3 * DEFAULT_FLUSH_MS);
    expect(Math.max(...network.sent.map((s) => s.body.events.length))).toBeLessThanOrEqual(MAX_BATCH_EVENTS);
    expect(network.events().map((e) => e.props?.n)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it('splits a large queue at page hide into beacons within the 64 KiB budget', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ autoPageviews: false });
    for (let n = 1; n <= 15; n++) sdk.track('click', bulky(n));
    hidePage();
    await settle();
    expect(network.sent.length).toBeGreaterThan(2);
    expect(new Set(network.sent.map((s) => s.via))).toEqual(new Set(['beacon']));
    for (const request of network.sent) expect(bytes(request.body)).toBeLessThanOrEqual(BROWSER_KEEPALIVE_BYTES);
    const clicks = network.events().filter((e) => e.event_type === 'click');
    expect(clicks.map((e) => e.props?.n)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    // Parts as full as the budget allows: about five 10 KB events each, not halves.
    expect(network.sent.length).toBeLessThanOrEqual(4);
  });

  it('sends a single event larger than the keepalive budget without keepalive, not forever', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 1, autoPageviews: false });
    // Past the contract's limits (the API will refuse it with a 400, which settles it); a
    // valid event stays well under 60 KB.
    const huge = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, '€'.repeat(1200)]));
    sdk.track('click', huge);
    sdk.track('click', { n: 2 });
    await settle(40);
    const calls = vi.mocked(fetch).mock.calls.map(([, init]) => (init as RequestInit).keepalive);
    expect(bytes(network.sent[0].body)).toBeGreaterThan(MAX_REQUEST_BYTES);
    expect(calls).toEqual([false, true]);
    expect(network.events().map((e) => e.props?.n ?? 'huge')).toEqual(['huge', 2]);
  });

  it('falls back to keepalive fetch for every part when the browser refuses beacons', async () => {
    const network = fakeNetwork();
    network.beaconAccepts = false;
    const sdk = await loadSdk({ autoPageviews: false });
    for (let n = 1; n <= 12; n++) sdk.track('click', bulky(n));
    hidePage();
    await settle();
    expect(network.sent.length).toBeGreaterThan(1);
    expect(new Set(network.sent.map((s) => s.via))).toEqual(new Set(['fetch']));
    const clicks = network.events().filter((e) => e.event_type === 'click');
    expect(clicks.map((e) => e.props?.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});

describe('retry', () => {
  it('follows an exponential schedule with full jitter, capped', () => {
    expect(backoff(0, 0.999)).toBeLessThan(BACKOFF_BASE_MS);
    expect(backoff(3, 1)).toBe(8 * BACKOFF_BASE_MS);
    expect(backoff(3, 0.5)).toBe(4 * BACKOFF_BASE_MS);
    expect(backoff(30, 1)).toBe(BACKOFF_CAP_MS);
    expect(backoff(2, 0)).toBe(0);
  });

  it.each([['error' as const], [429], [500], [503]])('retries the same events after %s', async (failure) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const network = fakeNetwork();
    network.script = [failure, failure, 202];
    const sdk = await loadSdk({ batchSize: 2, autoPageviews: false });
    sdk.track('click');
    sdk.track('search', { search_query: 'usb-c hub' });
    await vi.advanceTimersByTimeAsync(0);
    expect(network.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999); // first retry after base * 2^0 = 1 s
    expect(network.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(network.sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000); // second retry after 2 s
    expect(network.sent).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(network.sent).toHaveLength(3);
    const ids = network.sent.map((s) => s.body.events.map((e) => e.event_id).join());
    expect(new Set(ids).size).toBe(1); // retries resend the same event_ids: the API dedupes
  });

  it.each([[400], [401], [403], [413]])('does not retry %s and logs it', async (status) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const network = fakeNetwork();
    network.script = [status];
    const sdk = await loadSdk({ batchSize: 1, autoPageviews: false });
    sdk.track('click');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(network.sent).toHaveLength(1);
    expect(errors).toHaveBeenCalledWith('clickstream', status);
  });

  it('waits while offline and sends on reconnect', async () => {
    const network = fakeNetwork();
    setOnline(false);
    const sdk = await loadSdk({ batchSize: 1, autoPageviews: false });
    sdk.track('click');
    sdk.track('click');
    await settle();
    expect(network.sent).toHaveLength(0);
    setOnline(true);
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(network.events()).toHaveLength(2);
  });
});

describe('core build', () => {
  it('tracks, batches and sends without the offline queue or e-commerce helpers', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 2 }, 'core');
    expect('purchase' in sdk).toBe(false);
    sdk.track('click', { button: 'buy' });
    await settle();
    expect(network.events().map((e) => e.event_type)).toEqual(['view', 'click']);
    hidePage();
    await settle();
    // No engagement module in the core build: nothing else to send.
    expect(network.sent).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('waits at least as long as a 429 asks', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(1); // backoff alone would retry after 1 s
    fakeNetwork();
    let calls = 0;
    vi.mocked(fetch).mockImplementation(async () => {
      calls++;
      return calls === 1
        ? new Response('{"error":"rate_limited"}', { status: 429, headers: { 'retry-after': '5' } })
        : new Response('{"accepted":1,"rejected":[]}', { status: 202 });
    });
    const sdk = await loadSdk({ batchSize: 1, autoPageviews: false });
    sdk.track('click');
    await vi.advanceTimersByTimeAsync(4999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
  });
});
