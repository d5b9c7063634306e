/**
 * Typed helpers for the e-commerce events, shaped as the warehouse reads
 * them: list impressions are a `view` with ecom.list_id and ecom.items, a
 * checkout carries the cart's lines in ecom.items, a
 * product click carries list_id and position (click-through rate), and a
 * purchase is one event per order line sharing order_id (revenue = sum of
 * price x qty over purchase events).
 */
import { event } from './tracker';
import type { Line, ListItem, Product } from './types';

let defaultCurrency = 'USD';

export const setCurrency = (currency: string): void => void (defaultCurrency = currency);

const product = (p: Product): ListItem => ({ product_id: p.id, category: p.category, price: p.price });

export const viewProduct = (p: Product, currency = defaultCurrency): void =>
  event('view', { ecom: { ...product(p), currency } });

/** Impressions of the products shown in a list (category page, search results); at most 50. */
export const viewList = (listId: string, products: Product[]): void =>
  event('view', {
    ecom: { list_id: listId, items: products.slice(0, 50).map((p, i) => ({ ...product(p), position: i + 1 })) },
  });

/** A click on the product at 1-based `position` of list `listId`. */
export const clickProduct = (listId: string, p: Product, position: number): void =>
  event('click', { ecom: { ...product(p), list_id: listId, position } });

/** A search and how many results it found; empty queries are not searches. */
export function search(query: string, resultCount: number): void {
  if (query)
    event('search', {
      props: { search_query: query.slice(0, 256).replace(/[\ud800-\udbff]$/, ''), result_count: resultCount },
    });
}

export const addToCart = (p: Product, qty = 1, currency = defaultCurrency): void =>
  event('add_to_cart', { ecom: { ...product(p), qty, currency } });

/**
 * The start of checkout: the cart's lines as ecom.items (at most 50, so per-product
 * funnels have a checkout step), with the cart's value and number of items.
 */
export const checkout = (lines: Line[], currency = defaultCurrency): void =>
  event('checkout', {
    ecom: { currency, items: lines.slice(0, 50).map((l) => ({ ...product(l), qty: l.qty })) },
    props: {
      cart_value: lines.reduce((sum, l) => sum + (l.price || 0) * l.qty, 0),
      cart_items: lines.reduce((sum, l) => sum + l.qty, 0),
    },
  });

/** One `purchase` event per order line, all with the same order id. */
export const purchase = (orderId: string, lines: Line[], currency = defaultCurrency): void =>
  lines.forEach((l) => event('purchase', { ecom: { ...product(l), qty: l.qty, currency, order_id: orderId } }));
