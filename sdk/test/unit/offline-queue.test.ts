import { describe, expect, it, vi } from 'vitest';
import { dropped } from '../../src/identity';
import { fakeNetwork, hidePage, loadSdk, readStored, rewriteStored, settle } from './harness';
import { setOnline, setVisibility } from './setup';

/** A new page: fresh SDK module, same storage and IndexedDB. */
function newPageLoad(): void {
  vi.resetModules();
  setVisibility('visible');
}

describe('offline queue (IndexedDB)', () => {
  it('keeps events that could not leave and sends them exactly once on the next page load', async () => {
    const network = fakeNetwork();
    setOnline(false);
    const page1 = await loadSdk({ flushMs: 50 });
    page1.addToCart({ id: 'sku-1', price: 10 });
    page1.track('click', { n: 1 });
    hidePage(); // offline: no beacon either
    await settle();
    expect(network.sent).toHaveLength(0);
    const stored = await readStored();
    expect(stored.map((e) => e.event_type)).toEqual(['view', 'add_to_cart', 'click', 'engagement']);

    newPageLoad();
    setOnline(true);
    const page2 = await loadSdk({ flushMs: 50 });
    await settle(40);
    page2.flush();
    await settle(40);
    const types = network.events().map((e) => e.event_type);
    // Earlier page's events first, in order, then this page's view.
    expect(types).toEqual(['view', 'add_to_cart', 'click', 'engagement', 'view']);
    const ids = network.events().map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 4)).toEqual(stored.map((e) => e.event_id));
    expect(await readStored()).toEqual([]);
  });

  it('with the default 60 s interval, a page that crashes before any send loses nothing', async () => {
    const network = fakeNetwork();
    const page1 = await loadSdk();
    page1.addToCart({ id: 'sku-1', price: 10 });
    page1.track('click', { n: 1 });
    await settle();
    // Online, but the interval has not passed: nothing sent, everything already on disk.
    expect(network.sent).toHaveLength(0);
    const stored = await readStored();
    expect(stored.map((e) => e.event_type)).toEqual(['view', 'add_to_cart', 'click']);

    newPageLoad(); // the crash: no page hide, no beacon
    await loadSdk();
    await settle(40);
    const ids = network.events().map((e) => e.event_id);
    expect(ids.slice(0, 3)).toEqual(stored.map((e) => e.event_id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(network.sent).toHaveLength(1); // the earlier page's events and this page's view, together
    expect(await readStored()).toEqual([]);
  });

  it('forgets events once the API answered, and keeps them while it fails', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.2); // first retry after 200 ms
    const network = fakeNetwork();
    network.script = [503];
    const sdk = await loadSdk({ batchSize: 2, autoPageviews: false });
    sdk.track('click');
    sdk.track('click');
    await settle();
    expect(network.sent).toHaveLength(1);
    expect(await readStored()).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await settle();
    expect(network.sent).toHaveLength(2);
    expect(await readStored()).toEqual([]);
  });

  it('forgets events handed to sendBeacon at page hide', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ flushMs: 60_000 });
    sdk.track('click');
    await settle();
    expect(await readStored()).toHaveLength(2);
    hidePage();
    await settle();
    expect(network.sent.map((s) => s.via)).toEqual(['beacon']);
    expect(await readStored()).toEqual([]);
  });

  it('is capped: the oldest are dropped first and counted', async () => {
    fakeNetwork();
    setOnline(false);
    const sdk = await loadSdk({ maxQueued: 5, autoPageviews: false });
    for (let n = 1; n <= 8; n++) {
      sdk.track('click', { n });
      await settle(2);
    }
    await settle();
    const kept = await readStored();
    expect(kept.map((e) => e.props?.n)).toEqual([4, 5, 6, 7, 8]);
    expect(dropped()).toBe(3);
  });
});

/**
 * A page whose beacon left but whose IndexedDB delete had not committed when the next
 * page read the queue: the events are put back as they were before the hand-off, their
 * ids marked as sent.
 */
async function beaconWithUncommittedDelete(): Promise<ReturnType<typeof fakeNetwork>> {
  const network = fakeNetwork();
  const page1 = await loadSdk({ flushMs: 60_000 });
  page1.track('click');
  await settle();
  const before = await readStored();
  hidePage();
  await settle();
  expect(network.sent.map((s) => s.via)).toEqual(['beacon']);
  await rewriteStored(before);
  localStorage.setItem('cs_sent', JSON.stringify(before.map((e) => e.event_id)));
  return network;
}

describe('page unload during a beacon', () => {
  it('does not send again events whose IndexedDB delete did not commit before the page ended', async () => {
    const network = await beaconWithUncommittedDelete();

    newPageLoad();
    await loadSdk({ flushMs: 60_000, autoPageviews: false });
    await settle(40);
    expect(network.sent).toHaveLength(1); // nothing sent a second time
    expect(await readStored()).toEqual([]);
    expect(JSON.parse(localStorage.getItem('cs_sent') as string)).toEqual([]);
  });
});

describe('the previous page finishing its delete while this page loads', () => {
  it('does not send again events it unmarked between this page reading the queue and filtering it', async () => {
    // The next page reads the queue before the previous page's delete commits...
    const network = await beaconWithUncommittedDelete();

    newPageLoad();
    await loadSdk({ flushMs: 60_000, autoPageviews: false });
    // ...and the previous page unmarks its ids (delete committed) before this page filters.
    localStorage.setItem('cs_sent', '[]');
    await settle(40);
    expect(network.sent).toHaveLength(1); // nothing sent a second time
  });
});

describe('a failing IndexedDB', () => {
  /** An IndexedDB that refuses to open, as in some private windows or with a full disk. */
  function breakIndexedDB(): void {
    vi.stubGlobal('indexedDB', {
      open() {
        const request = { error: new DOMException('refused', 'UnknownError') } as unknown as IDBOpenDBRequest;
        setTimeout(() => request.onerror?.(new Event('error')));
        return request;
      },
    });
  }

  it('loses no event and leaves no unhandled rejection (save, load, forget, clear)', async () => {
    const unhandled: unknown[] = [];
    const onRejection = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      breakIndexedDB();
      vi.spyOn(document, 'hasFocus').mockReturnValue(false); // no engagement report
      const network = fakeNetwork();
      const sdk = await loadSdk({ flushMs: 10 }); // load() fails at once
      sdk.track('click', { n: 1 }); // save() fails
      await settle(40); // the timer's fetch is answered: forget() fails
      hidePage();
      sdk.track('click', { n: 2 });
      sdk.flush(true); // a beacon: forget() fails again
      sdk.consent(false); // clear() fails
      await settle(40);
      expect(network.events().map((e) => e.event_type)).toEqual(['view', 'click', 'click']);
      expect(unhandled).toEqual([]);
      // Marked as sent although the deletes failed: a copy left behind would not be resent.
      expect(localStorage.getItem('cs_sent')).toBeNull(); // consent(false) cleared the marks
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('a fetch still in flight at page hide', () => {
  it('is not sent again by the next page load: its events count as handed off', async () => {
    const network = fakeNetwork();
    vi.spyOn(document, 'hasFocus').mockReturnValue(false);
    const page1 = await loadSdk({ batchSize: 3 });
    const answers: ((response: Response) => void)[] = [];
    vi.mocked(fetch).mockImplementation(() => new Promise((resolve) => answers.push(resolve)));
    page1.track('click', { n: 1 });
    page1.track('click', { n: 2 }); // the third event: a fetch, not answered before the page ends
    page1.track('click', { n: 3 });
    await settle();
    expect(answers).toHaveLength(1);
    const inflight = JSON.parse(vi.mocked(fetch).mock.calls[0][1]?.body as string).events;
    hidePage();
    await settle();
    expect(network.events().map((e) => e.props?.n)).toEqual([3]); // the beacon: the rest only
    expect((await readStored()).map((e) => e.event_id)).toEqual(
      expect.arrayContaining(inflight.map((e: { event_id: string }) => e.event_id)),
    );

    newPageLoad(); // the fetch's answer never reached page 1
    vi.mocked(fetch).mockRestore?.();
    const next = fakeNetwork();
    await loadSdk({ autoPageviews: false });
    await settle(40);
    expect(next.sent).toHaveLength(0); // nothing sent a second time at page load
    expect(await readStored()).toEqual([]);
    expect(JSON.parse(localStorage.getItem('cs_sent') as string)).toEqual([]);
  });

  it('is retried if it fails after all while the page lives on, and then forgotten', async () => {
    const network = fakeNetwork();
    vi.spyOn(document, 'hasFocus').mockReturnValue(false);
    const page = await loadSdk({ batchSize: 2, autoPageviews: false });
    let fail: (error: Error) => void = () => {};
    vi.mocked(fetch).mockImplementationOnce(() => new Promise((_, reject) => (fail = reject)));
    page.track('click', { n: 1 });
    page.track('click', { n: 2 }); // a fetch in flight
    hidePage(); // a tab switch: the page lives on
    setVisibility('visible');
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    fail(new TypeError('Failed to fetch'));
    await settle();
    page.flush();
    await settle(40);
    expect(network.events().map((e) => e.props?.n)).toEqual([1, 2]);
    expect(await readStored()).toEqual([]);
    expect(JSON.parse(localStorage.getItem('cs_sent') as string)).toEqual([]);
  });
});
