// Every event each public function produces must validate against the ingest API's
// JSON Schema file itself (lambdas/clickstream/contract/event.schema.json).
import { describe, expect, it } from 'vitest';
import type { ClickstreamEvent } from '../../src/types';
import { expectValid, fakeIdToken, fakeNetwork, hidePage, loadSdk, settle } from './harness';

const laptop = { id: 'sku-laptop-14', category: 'Laptops', price: 1299.5 };
const mouse = { id: 'sku-mouse-1', category: 'Accessories', price: 24.99 };

async function emitted(run: (sdk: Awaited<ReturnType<typeof loadSdk>>) => void): Promise<ClickstreamEvent[]> {
  const network = fakeNetwork();
  const sdk = await loadSdk({ batchSize: 100, flushMs: 60_000, autoPageviews: false });
  run(sdk);
  sdk.flush();
  await settle();
  return network.events();
}

describe('schema conformity', () => {
  it('page view: a view without a product', async () => {
    const [view] = await emitted((sdk) => sdk.page());
    expectValid([view]);
    expect(view.event_type).toBe('view');
    expect(view.ecom).toBeUndefined();
  });

  it('track with props, and a signed-in user', async () => {
    const events = await emitted((sdk) => {
      sdk.track('click', { button: 'newsletter', ok: true, n: 3, none: null });
      sdk.identify(fakeIdToken({ sub: '3f6c1a2e-sub' }));
      sdk.track('click');
    });
    expectValid(events);
    expect(events[1].user_id).toBe('3f6c1a2e-sub');
  });

  it('viewProduct: a view with a product', async () => {
    const [view] = await emitted((sdk) => sdk.viewProduct(laptop));
    expectValid([view]);
    expect(view.ecom).toEqual({ product_id: laptop.id, category: 'Laptops', price: 1299.5, currency: 'USD' });
  });

  it('viewList: list impressions with positions, at most 50', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ id: `sku-${i}`, price: i }));
    const [small, big] = await emitted((sdk) => {
      sdk.viewList('category:laptops', [laptop, mouse]);
      sdk.viewList('search:usb', many);
    });
    expectValid([small, big]);
    expect(small.ecom?.list_id).toBe('category:laptops');
    expect(small.ecom?.product_id).toBeUndefined();
    expect(small.ecom?.items?.map((i) => [i.product_id, i.position])).toEqual([
      [laptop.id, 1],
      [mouse.id, 2],
    ]);
    expect(big.ecom?.items).toHaveLength(50);
  });

  it('clickProduct: the list and the position clicked', async () => {
    const [click] = await emitted((sdk) => sdk.clickProduct('category:laptops', laptop, 1));
    expectValid([click]);
    expect(click.ecom).toMatchObject({ product_id: laptop.id, list_id: 'category:laptops', position: 1 });
  });

  it('search: the query and the result count; empty queries are not sent', async () => {
    const events = await emitted((sdk) => {
      sdk.search('usb-c dock', 4);
      sdk.search('', 0);
      sdk.search('x'.repeat(400), 0);
    });
    expectValid(events);
    expect(events).toHaveLength(2);
    expect(events[0].props).toEqual({ search_query: 'usb-c dock', result_count: 4 });
    expect(events[1].props?.search_query).toHaveLength(256);
  });

  it('addToCart and checkout', async () => {
    const events = await emitted((sdk) => {
      sdk.addToCart(mouse, 2);
      sdk.checkout([
        { ...laptop, qty: 1 },
        { ...mouse, qty: 2 },
      ]);
    });
    expectValid(events);
    expect(events[0].ecom).toMatchObject({ product_id: mouse.id, qty: 2, currency: 'USD' });
    expect(events[1].props).toEqual({ cart_value: 1299.5 + 2 * 24.99, cart_items: 3 });
    // The cart's products, so the per-product funnel has a checkout step.
    expect(events[1].ecom).toEqual({
      currency: 'USD',
      items: [
        { product_id: laptop.id, category: 'Laptops', price: 1299.5, qty: 1 },
        { product_id: mouse.id, category: 'Accessories', price: 24.99, qty: 2 },
      ],
    });
  });

  it('checkout: a cart of more than 50 lines sends the first 50', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => ({ id: `sku-${i}`, price: i, qty: 1 + (i % 3) }));
    const [event] = await emitted((sdk) => sdk.checkout(lines));
    expectValid([event]);
    expect(event.ecom?.items).toHaveLength(50);
    expect(event.ecom?.items?.[49]).toEqual({ product_id: 'sku-49', price: 49, qty: 2 });
    expect(event.props?.cart_items).toBe(lines.reduce((sum, l) => sum + l.qty, 0));
  });

  it('purchase: one event per order line sharing the order id', async () => {
    const events = await emitted((sdk) =>
      sdk.purchase(
        'ord-1001',
        [
          { ...laptop, qty: 1 },
          { ...mouse, qty: 3 },
        ],
        'EUR',
      ),
    );
    expectValid(events);
    expect(events.map((e) => e.event_type)).toEqual(['purchase', 'purchase']);
    expect(new Set(events.map((e) => e.ecom?.order_id))).toEqual(new Set(['ord-1001']));
    const revenue = events.reduce((sum, e) => sum + (e.ecom?.price ?? 0) * (e.ecom?.qty ?? 0), 0);
    expect(revenue).toBeCloseTo(1299.5 + 3 * 24.99);
    expect(events[0].ecom?.currency).toBe('EUR');
  });

  it('engagement at page hide', async () => {
    const network = fakeNetwork();
    await loadSdk({ autoPageviews: false });
    await new Promise((resolve) => setTimeout(resolve, 30));
    hidePage();
    await settle();
    const [engagement] = network.events();
    expectValid([engagement]);
    expect(engagement.event_type).toBe('engagement');
  });

  it('long titles and URLs are cut to the contract limits', async () => {
    document.title = 'T'.repeat(300);
    const [view] = await emitted((sdk) => sdk.page());
    document.title = '';
    expectValid([view]);
    expect(view.page_title).toHaveLength(256);
  });
});
