/**
 * The event contract as TypeScript types. The single source is
 * lambdas/clickstream/contract/event.schema.json; the unit tests validate
 * everything the SDK emits against that file, so these types cannot drift far.
 */

export type EventType = 'view' | 'click' | 'search' | 'add_to_cart' | 'checkout' | 'purchase' | 'engagement';

export type PropValue = string | number | boolean | null;
export type Props = Record<string, PropValue>;

export interface ListItem {
  product_id: string;
  category?: string | null;
  price?: number;
  position?: number;
  /** Units of a cart line (checkout items only). */
  qty?: number;
}

export interface Ecom {
  product_id?: string;
  category?: string | null;
  currency?: string;
  price?: number;
  qty?: number;
  order_id?: string;
  list_id?: string;
  position?: number;
  items?: ListItem[];
}

/** Fields a caller may add to an event beyond the ones the SDK fills in. */
export interface EventFields {
  ecom?: Ecom;
  props?: Props;
  engaged_ms?: number;
}

export interface ClickstreamEvent extends EventFields {
  event_id: string;
  ts: string;
  event_type: EventType;
  session_id: string;
  anonymous_id: string;
  user_id?: string | null;
  page_url: string;
  page_title?: string | null;
  referrer?: string | null;
  device?: {
    type?: 'mobile' | 'desktop' | 'tablet';
    screen_width?: number;
    screen_height?: number;
    language?: string | null;
  };
}

export interface Config {
  /** Base URL of the ingest API (events go to `${endpoint}/v1/events`). */
  endpoint: string;
  /** Site key sent for anonymous shoppers. */
  apiKey?: string;
  /** Returns the Cognito ID token of a signed-in shopper (sent as Bearer), if any. */
  getToken?: () => string | null | undefined;
  /** Minutes of inactivity after which a new session starts. Default 30. */
  sessionMinutes?: number;
  /** Send when this many events are queued. Default 50 (the API accepts up to 100). */
  batchSize?: number;
  /** Send queued events at most this many ms after the first one. Default 60000. */
  flushMs?: number;
  /** Send a page view on init and on every SPA history change. Default true. */
  autoPageviews?: boolean;
  /** Treat `navigator.doNotTrack === '1'` (or Global Privacy Control) as an opt-out. Default false. */
  respectDnt?: boolean;
  /** Currency of the e-commerce helpers when a call does not name one. Default 'USD'. */
  currency?: string;
  /** Cap of the IndexedDB offline queue (full build); the oldest events are dropped first and counted. Default 1000. */
  maxQueued?: number;
}

/** A product as the e-commerce helpers take it. */
export interface Product {
  id: string;
  category?: string | null;
  price?: number;
}

/** One line of a cart or an order. */
export interface Line extends Product {
  qty: number;
}

/**
 * Extension points the full build plugs its offline queue into; the core
 * build leaves them empty so it pays nothing for them.
 */
export interface Hooks {
  /** An event was queued (write-ahead: persist it before any send). */
  add?(event: ClickstreamEvent): void;
  /** These events were delivered or definitively refused: forget them. */
  done?(events: ClickstreamEvent[]): void;
  /** Consent withdrawn: drop everything stored. */
  clear?(): void;
  /**
   * The page is being hidden: queue the last events now, they leave in this hide's flush.
   * `inflight`: the batch a fetch is still sending (0 if none); the page may end first.
   */
  hide?(inflight: ClickstreamEvent[] | 0): void;
}
