/** The full build: the core plus the IndexedDB offline queue, engaged time and the e-commerce helpers. */
import { setCurrency } from './ecommerce';
import { report, trackEngagement } from './engagement';
import { store } from './identity';
import { clear, forget, load, save } from './offline-queue';
import { hooks, init as initTracker, restore } from './tracker';
import type { ClickstreamEvent, Config } from './types';

export { addToCart, checkout, clickProduct, purchase, search, viewList, viewProduct } from './ecommerce';
export { dropped } from './identity';
export { consent, DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_MS, event, flush, identify, page, reset, track } from './tracker';
export type * from './types';

/**
 * Ids of events already handed to the network whose IndexedDB copies may not be deleted
 * yet. A beacon goes at page hide, and the browser may end the page before the IndexedDB
 * delete commits; localStorage writes are synchronous, so this list survives and the next
 * page drops those copies instead of sending them a second time.
 */
const SENT_KEY = 'cs_sent';
const sentIds = (): string[] => JSON.parse(store(SENT_KEY) || '[]');
const unmarkSent = (ids: string[]): void =>
  void store(SENT_KEY, JSON.stringify(sentIds().filter((id) => !ids.includes(id))));

/**
 * For IndexedDB failures (private windows, a full disk, a blocked database): the events
 * still leave from memory, only the crash insurance is gone. A failed delete leaves its
 * ids marked as sent, so a copy that stayed behind is dropped, not sent again.
 */
const ignore = (): void => {};

function markSent(events: ClickstreamEvent[]): string[] {
  const ids = events.map((e) => e.event_id);
  store(SENT_KEY, JSON.stringify(sentIds().concat(ids)));
  return ids;
}

function settled(events: ClickstreamEvent[]): void {
  const ids = markSent(events);
  forget(events).then(() => unmarkSent(ids), ignore);
}

export function init(config: Config): void {
  const cap = config.maxQueued || 1000;
  // This page's own events are already queued in memory; the stored rest came from earlier pages.
  const own = new Set<string>();
  hooks.add = (e) => (own.add(e.event_id), save(e, cap).catch(ignore));
  hooks.done = settled;
  hooks.clear = () => (store(SENT_KEY, null), clear().catch(ignore));
  // At page hide: a keepalive fetch still in flight outlives the page like a beacon, but its
  // answer (and so settled()) may never run; counted as handed off like a beacon, its events
  // are not sent a second time by the next page load. Then the engagement report.
  hooks.hide = (inflight) => (inflight && markSent(inflight), report());
  if (config.currency) setCurrency(config.currency);
  trackEngagement();
  initTracker(config);
  // Read before the queue and again after it: the page that marked an id unmarks it once
  // its delete committed, which may fall between this page's read and its filter.
  const sentBefore = sentIds();
  load().then((saved) => {
    const sent = sentBefore.concat(sentIds());
    const delivered = saved.filter((e) => sent.includes(e.event_id));
    forget(delivered).then(() => unmarkSent(delivered.map((e) => e.event_id)), ignore);
    restore(saved.filter((e) => !own.has(e.event_id) && !sent.includes(e.event_id)));
  }, ignore);
}
