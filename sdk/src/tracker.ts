/**
 * The tracker: builds events, queues them, and sends batches by size, by
 * time and at page hide. One tracker per page, so its state is module-level
 * (smaller than a class once minified).
 */
import { ANON_KEY, OPT_OUT_KEY, SESSION_KEY, anonymousId, isoNow, sessionId, store, subject, uuid } from './identity';
import { backoff, envelope, INGEST_PATH, MAX_BATCH_EVENTS, MAX_REQUEST_BYTES, post } from './transport';
import type { ClickstreamEvent, Config, EventFields, EventType, Hooks, Props } from './types';

export const hooks: Hooks = {};

let config: Config;
let url = '';
let queue: ClickstreamEvent[] = [];
let timer: ReturnType<typeof setTimeout> | 0 = 0;
/** The batch a fetch is sending (one at a time), or 0. */
let sending: ClickstreamEvent[] | 0 = 0;
let failures = 0;
let optedOut = false;
let idToken: string | null | undefined;
let lastPage = '';

const token = (): string | null | undefined => config.getToken?.() || idToken;

function schedule(ms: number): void {
  clearTimeout(timer);
  timer = setTimeout(flush, ms);
}

/**
 * Send what is queued, `batchSize` events at most per request and never a body past
 * MAX_REQUEST_BYTES (the batch shrinks until it fits; one event always goes). At page
 * hide (`hiding`) every batch goes at once by sendBeacon, which outlives the page, or by
 * keepalive fetch when the browser refuses the beacon; otherwise by fetch with
 * keepalive, one request at a time so that events arrive in order. Offline, nothing is
 * attempted: the `online` event flushes.
 */
export function flush(hiding?: boolean): void {
  clearTimeout(timer);
  timer = 0;
  if (!queue.length || (sending && !hiding) || !navigator.onLine) return;
  let size = config.batchSize as number;
  let body: string;
  let bytes: number;
  while (
    ((bytes = new Blob([(body = envelope(queue.slice(0, size), token(), config.apiKey))]).size) > MAX_REQUEST_BYTES ||
      size > MAX_BATCH_EVENTS) &&
    size > 1
  )
    // Shrink in proportion (events are about the same size); one event always goes.
    size = (Math.min(size, queue.length, MAX_BATCH_EVENTS) * Math.min(1, MAX_REQUEST_BYTES / bytes)) | 0 || 1;
  const batch = queue.splice(0, size);
  // A string goes as text/plain;charset=UTF-8, a CORS-safelisted type: no preflight.
  if (hiding && navigator.sendBeacon(url, body)) hooks.done?.(batch);
  else {
    sending = batch;
    post(url, body, bytes <= MAX_REQUEST_BYTES).then((settled) => {
      sending = 0;
      if (settled === true) {
        failures = 0;
        hooks.done?.(batch);
        // More than fitted in this request waits for nothing; an empty queue makes this a no-op.
        schedule(queue.length < size ? (config.flushMs as number) : 0);
      } else {
        queue.unshift(...batch);
        schedule(Math.max(settled, backoff(failures++)));
      }
    });
  }
  if (hiding) flush(true);
}

/**
 * A page hide: `visibilitychange` to hidden or `pagehide`, whichever comes first (a
 * navigation fires pagehide first, a closed or switched tab visibilitychange), and again
 * after a back/forward-cache restore. Plugins queue their last events first (hooks.hide),
 * so everything this hide queues leaves in one request per batch; the other event of the
 * pair finds the queue empty and sends nothing. The hook also learns of a fetch still in
 * flight, whose answer the page may not live to see.
 */
function hide(): void {
  hooks.hide?.(sending);
  flush(true);
}

/** Queue one event of any type with extra contract fields (ecom, props, engaged_ms). */
export function event(type: EventType, fields?: EventFields): void {
  if (optedOut) return;
  const auth = token();
  const user = auth && subject(auth);
  const { width, height } = screen;
  const e: ClickstreamEvent = {
    event_id: uuid(),
    ts: isoNow(),
    event_type: type,
    session_id: sessionId((config.sessionMinutes as number) * 60000),
    anonymous_id: anonymousId(),
    page_url: location.href.slice(0, 2048),
    // Never end inside a surrogate pair: a title cut in an emoji would be sent as "\ud83d".
    // (URLs are ASCII-serialized, so their plain slices are safe.)
    page_title: document.title.slice(0, 256).replace(/[\ud800-\udbff]$/, ''),
    referrer: document.referrer.slice(0, 2048),
    device: {
      type: width < 768 ? 'mobile' : width < 1024 ? 'tablet' : 'desktop',
      screen_width: width,
      screen_height: height,
      language: navigator.language,
    },
    ...fields,
  };
  if (user) e.user_id = user;
  queue.push(e);
  hooks.add?.(e);
  // A hidden page may be unloading: only a beacon is sure to leave.
  if (queue.length >= (config.batchSize as number)) flush(document.hidden);
  else if (!timer) schedule(config.flushMs as number);
}

export const track = (type: EventType, props?: Props): void => event(type, props && { props });

/** A page view; automatic ones skip repeats of the same URL (replaceState, hash-only changes). */
export function page(): void {
  lastPage = location.pathname + location.search;
  event('view');
}

/** Sign-in: later events carry the token's `sub` as user_id and the token as credential. */
export function identify(cognitoIdToken: string): void {
  idToken = cognitoIdToken;
}

/** Sign-out: forget the user and start a fresh anonymous identity and session. */
export function reset(): void {
  idToken = undefined;
  store(ANON_KEY, null);
  store(SESSION_KEY, null);
}

/**
 * The consent switch. `false` stops all sending, drops queued events and
 * clears the ids, and is remembered; `true` allows tracking again.
 */
export function consent(granted: boolean): void {
  optedOut = !granted;
  store(OPT_OUT_KEY, granted ? null : '1');
  if (!granted) {
    queue = [];
    reset();
    hooks.clear?.();
  }
}

/** Put events saved by an earlier page (offline queue) in front of this page's, and send them. */
export function restore(saved: ClickstreamEvent[]): void {
  if (saved.length) (queue.unshift(...saved), flush());
}

/**
 * Defaults: a request every 60 s at most while the page is alive, or at 50 events; every
 * page hide sends what is queued. On a store a request is therefore one page's events:
 * one request per page visit (bench/sdk_batching.py measures it). A shorter interval buys
 * no freshness (Firehose buffers for minutes, the ETL runs hourly) but costs a second
 * request on every page read longer than it; it only bounds what a crash loses in the
 * core build (the full build keeps every event in IndexedDB) and how long a
 * single-page app's events wait.
 */
export const DEFAULT_BATCH_SIZE = 50;
export const DEFAULT_FLUSH_MS = 60000;

export function init(options: Config): void {
  config = { batchSize: DEFAULT_BATCH_SIZE, flushMs: DEFAULT_FLUSH_MS, sessionMinutes: 30, ...options };
  url = config.endpoint.replace(/\/$/, '') + INGEST_PATH;
  optedOut = !!(
    store(OPT_OUT_KEY) ||
    (config.respectDnt &&
      (navigator.doNotTrack == '1' || (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl))
  );
  addEventListener('online', () => {
    failures = 0;
    flush();
  });
  // visibilitychange is the last event mobile browsers reliably fire; pagehide covers older Safari.
  addEventListener('visibilitychange', () => document.hidden && hide());
  addEventListener('pagehide', hide);
  if (config.autoPageviews !== false) {
    const onChange = (): void => {
      if (location.pathname + location.search !== lastPage) page();
    };
    // Like Plausible, only pushState navigates; replaceState merely edits the current entry.
    const pushState = history.pushState;
    history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
      pushState.apply(this, args);
      onChange();
    };
    addEventListener('popstate', onChange);
    page();
  }
}
