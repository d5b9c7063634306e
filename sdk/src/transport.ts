/**
 * How events leave the page: one POST per batch, as the ingest API's batch
 * envelope, text/plain with the credentials inside (sendBeacon cannot set headers,
 * and fetch then needs no CORS preflight either).
 */
import { isoNow } from './identity';
import type { ClickstreamEvent } from './types';

export const INGEST_PATH = '/v1/events';
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 60000;
/**
 * Largest request body, in bytes. Browsers refuse sendBeacon and keepalive fetch past
 * 64 KiB in flight per page, so a bigger batch is split (the ingest API itself takes
 * 256 KB and 100 events).
 */
export const MAX_REQUEST_BYTES = 60000;
/** The ingest API's MAX_BATCH_EVENTS: a larger batch is halved until it is within. */
export const MAX_BATCH_EVENTS = 100;

/**
 * Delay before retry number `attempt` (0-based): "full jitter", a uniform
 * draw in [0, min(cap, base * 2^attempt)), so that many browsers that failed
 * together do not come back together.
 */
export const backoff = (attempt: number, random = Math.random()): number =>
  random * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);

// The site key rides along with a token: if the token has expired, the API stores the
// batch as anonymous instead of refusing it. A missing one is null or left out.
export const envelope = (events: ClickstreamEvent[], token?: string | null, apiKey?: string): string =>
  JSON.stringify({ events, sent_at: isoNow(), id_token: token, api_key: apiKey });

/**
 * Send by fetch, as the same text/plain envelope a beacon carries (credentials inside):
 * a CORS-safelisted request, so no preflight OPTIONS is sent (or billed) before it.
 * `keepalive` (the request outlives the page) only within the browsers' 64 KiB: a single
 * event larger than that would otherwise fail forever and hold up the queue.
 * Resolves true when the events are settled (stored, or definitively refused),
 * otherwise with the minimum ms to wait before sending them again (network error, 429,
 * 5xx; the API's Retry-After when it gives one). The retry carries the same events with
 * the same event_ids, which the API dedupes.
 */
export const post = (url: string, body: string, keepalive: boolean): Promise<true | number> =>
  fetch(url, { method: 'POST', body, keepalive }).then(
    (response) =>
      response.status === 429 || response.status > 499
        ? +(response.headers.get('retry-after') as string) * 1000 || 0
        : // Any other 4xx is a bug in the integration: retrying cannot fix it.
          (response.ok || console.error('clickstream', response.status), true),
    () => 0,
  );
