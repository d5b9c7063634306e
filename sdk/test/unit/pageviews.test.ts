import { describe, expect, it, vi } from 'vitest';
import { fakeNetwork, hidePage, loadSdk, settle } from './harness';
import { setVisibility } from './setup';

describe('automatic page views', () => {
  it('sends one on load and one per SPA navigation, not for replaceState or same-URL pushes', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 1 });
    history.pushState({}, '', '/laptops');
    history.pushState({}, '', '/laptops'); // same URL: not a new page
    history.replaceState({}, '', '/laptops?sort=price');
    history.pushState({}, '', '/laptops/sku-1');
    await settle();
    const views = network.events().filter((e) => e.event_type === 'view');
    expect(views.map((e) => new URL(e.page_url).pathname)).toEqual(['/', '/laptops', '/laptops/sku-1']);
    sdk.page(); // manual page views always count
    await settle();
    expect(network.events()).toHaveLength(4);
    history.replaceState({}, '', '/');
  });

  it('can be turned off', async () => {
    const network = fakeNetwork();
    await loadSdk({ batchSize: 1, autoPageviews: false });
    history.pushState({}, '', '/mice');
    await settle();
    expect(network.sent).toHaveLength(0);
    history.replaceState({}, '', '/');
  });
});

describe('engaged time', () => {
  it('counts only time visible and focused, and is sent at hide', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10));
    let focused = true;
    vi.spyOn(document, 'hasFocus').mockImplementation(() => focused);
    const network = fakeNetwork();
    await loadSdk({ autoPageviews: false });

    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 0, 10)); // 10 s engaged
    focused = false;
    window.dispatchEvent(new Event('blur'));
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 1, 0)); // 50 s unfocused: not engaged
    focused = true;
    window.dispatchEvent(new Event('focus'));
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 1, 5)); // 5 s engaged
    hidePage();
    await settle();
    expect(network.events().map((e) => [e.event_type, e.engaged_ms])).toEqual([['engagement', 15_000]]);

    // Back to the tab for 3 s, then away again: only the new time is sent.
    setVisibility('visible');
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 1, 8));
    hidePage();
    await settle();
    expect(network.events().map((e) => e.engaged_ms)).toEqual([15_000, 3_000]);
  });

  it('a navigation (pagehide, then visibilitychange) reports once: one request per page', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10));
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    const network = fakeNetwork();
    await loadSdk();
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 0, 20));
    // The HTML standard's unload order: pagehide while still visible, then hidden.
    window.dispatchEvent(new Event('pagehide'));
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 0, 20, 3));
    hidePage();
    await settle();
    expect(network.events().map((e) => [e.event_type, e.engaged_ms])).toEqual([
      ['view', undefined],
      ['engagement', 20_000],
    ]);
    expect(network.sent).toHaveLength(1);
  });

  it('a one-page visit is not zero seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10));
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    const network = fakeNetwork();
    await loadSdk();
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 0, 42));
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    const types = network.events().map((e) => e.event_type);
    expect(types).toEqual(['view', 'engagement']);
    expect(network.events()[1].engaged_ms).toBe(42_000);
    expect(network.sent.every((s) => s.via === 'beacon')).toBe(true);
  });
});
