// A page hide sends one request per batch holding everything it queued (the page's events
// and its engagement report), whichever of pagehide and visibilitychange fires first,
// whether one or both fire, and again after a back/forward-cache restore: nothing twice,
// nothing lost.
import { describe, expect, it, vi } from 'vitest';
import { fakeNetwork, hidePage, loadSdk, settle } from './harness';
import { setVisibility } from './setup';

type HideEvent = 'pagehide' | 'visibilitychange';

const at = (seconds: number): void => void vi.setSystemTime(Date.UTC(2026, 11, 1, 10, 0, seconds));

function fire(name: HideEvent): void {
  if (name === 'visibilitychange') hidePage();
  else window.dispatchEvent(new Event('pagehide'));
}

/** Back from the back/forward cache (or back to the tab): visible again, then pageshow. */
function restoreFromCache(): void {
  setVisibility('visible');
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  window.dispatchEvent(new Event('pageshow'));
}

function engagedPage() {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(0);
  vi.spyOn(document, 'hasFocus').mockReturnValue(true);
  return fakeNetwork();
}

describe('page hide', () => {
  it.each<HideEvent[]>([
    ['pagehide', 'visibilitychange'], // a navigation
    ['visibilitychange', 'pagehide'], // a tab closed
    ['pagehide'],
    ['visibilitychange'], // a tab switched away
  ])('%s: one request with the page events and the engagement report', async (...order) => {
    const network = engagedPage();
    const sdk = await loadSdk();
    sdk.track('click', { n: 1 });
    at(12);
    for (const name of order) fire(name);
    await settle();
    expect(network.sent).toHaveLength(1);
    expect(network.sent[0].via).toBe('beacon');
    expect(network.events().map((e) => [e.event_type, e.engaged_ms])).toEqual([
      ['view', undefined],
      ['click', undefined],
      ['engagement', 12_000],
    ]);
  });

  it('does not depend on the order in which the tracker and the engagement plugin listen', async () => {
    const network = engagedPage();
    // The tracker's listeners first, the plugin's after them (full.ts does the reverse).
    const tracker = await import('../../src/tracker');
    const engagement = await import('../../src/engagement');
    tracker.init({ endpoint: 'http://127.0.0.1:9', apiKey: 'k' });
    engagement.trackEngagement();
    tracker.hooks.hide = engagement.report;
    at(5);
    fire('visibilitychange');
    fire('pagehide');
    await settle();
    expect(network.sent).toHaveLength(1);
    expect(network.events().map((e) => e.event_type)).toEqual(['view', 'engagement']);
  });

  it('a focus or blur between pagehide and visibilitychange does not restart the count', async () => {
    const network = engagedPage();
    await loadSdk();
    at(8);
    fire('pagehide');
    at(9);
    window.dispatchEvent(new Event('focus'));
    window.dispatchEvent(new Event('blur'));
    at(10);
    fire('visibilitychange');
    await settle();
    expect(network.sent).toHaveLength(1);
    expect(network.events().map((e) => e.engaged_ms ?? 0)).toEqual([0, 8_000]);
  });

  it('after a back/forward-cache restore, the next hide reports only the new time', async () => {
    const network = engagedPage();
    const sdk = await loadSdk();
    at(20);
    fire('pagehide');
    fire('visibilitychange');
    await settle();
    expect(network.sent).toHaveLength(1);

    at(100); // 80 s in the cache: not engaged
    restoreFromCache();
    sdk.track('click', { n: 2 });
    at(107);
    fire('pagehide');
    fire('visibilitychange');
    await settle();
    expect(network.sent).toHaveLength(2);
    expect(network.sent[1].body.events.map((e) => [e.event_type, e.engaged_ms])).toEqual([
      ['click', undefined],
      ['engagement', 7_000],
    ]);
    const ids = network.events().map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a hide restored without a visibility change still counts again after pageshow', async () => {
    const network = engagedPage();
    await loadSdk();
    at(3);
    fire('pagehide'); // into the cache while still "visible"
    at(50);
    window.dispatchEvent(new Event('pageshow'));
    at(54);
    fire('pagehide');
    await settle();
    expect(network.sent.map((s) => s.body.events.map((e) => e.engaged_ms ?? 0))).toEqual([[0, 3_000], [4_000]]);
  });

  it('a page read for 45 s with the default interval: one request, at its hide', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    const network = fakeNetwork();
    const sdk = await loadSdk();
    sdk.viewProduct({ id: 'sku-1', price: 10 });
    await vi.advanceTimersByTimeAsync(30_000);
    sdk.addToCart({ id: 'sku-1', price: 10 });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(network.sent).toHaveLength(0);
    fire('pagehide');
    fire('visibilitychange');
    await vi.advanceTimersByTimeAsync(0);
    expect(network.sent.map((s) => s.via)).toEqual(['beacon']);
    expect(network.events().map((e) => e.event_type)).toEqual(['view', 'view', 'add_to_cart', 'engagement']);
  });

  it('more than a batch queued at hide: one request per batch, the engagement report in the last', async () => {
    const network = engagedPage();
    const sdk = await loadSdk({ batchSize: 5, autoPageviews: false });
    // Offline-free page, but a slow API: the size-triggered fetches are still in flight.
    vi.mocked(fetch).mockImplementation(() => new Promise(() => {}));
    for (let n = 1; n <= 12; n++) sdk.track('click', { n });
    at(30);
    fire('pagehide');
    fire('visibilitychange');
    await settle();
    const beacons = network.sent.filter((s) => s.via === 'beacon');
    expect(beacons.map((s) => s.body.events.length)).toEqual([5, 3]);
    expect(beacons[1].body.events.at(-1)?.event_type).toBe('engagement');
    // The first five went by fetch (in flight), the rest by beacon: each event once.
    const ids = [
      ...vi.mocked(fetch).mock.calls.flatMap(([, init]) => JSON.parse(init?.body as string).events),
      ...beacons.flatMap((s) => s.body.events),
    ].map((e: { event_id: string }) => e.event_id);
    expect(ids).toHaveLength(13);
    expect(new Set(ids).size).toBe(13);
  });
});
