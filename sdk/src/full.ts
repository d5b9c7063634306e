/** The full build: the core plus the IndexedDB offline queue and the e-commerce helpers. */
import { setCurrency } from './ecommerce';
import { trackEngagement } from './engagement';
import { clear, forget, load, save } from './offline-queue';
import { hooks, init as initTracker, restore } from './tracker';
import type { Config } from './types';

export { addToCart, checkout, clickProduct, purchase, search, viewList, viewProduct } from './ecommerce';
export { dropped } from './identity';
export { consent, event, flush, identify, page, reset, track } from './tracker';
export type * from './types';

export function init(config: Config): void {
  const cap = config.maxQueued || 1000;
  // This page's own events are already queued in memory; the stored rest came from earlier pages.
  const own = new Set<string>();
  hooks.add = (e) => (own.add(e.event_id), save(e, cap));
  hooks.done = forget;
  hooks.clear = clear;
  if (config.currency) setCurrency(config.currency);
  trackEngagement();
  initTracker(config);
  load().then((saved) => restore(saved.filter((e) => !own.has(e.event_id))));
}
