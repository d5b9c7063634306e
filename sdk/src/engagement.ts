/**
 * Engaged time (full build): milliseconds the page was visible AND focused, sent as an
 * `engagement` event when the page is hidden (tab switch, navigation, close),
 * so a one-page visit still has a duration. Each hide sends the time since
 * the previous one; the warehouse sums them per page view.
 */
import { event } from './tracker';

let engagedMs = 0;
let since = 0;

const engaged = (): boolean => document.visibilityState === 'visible' && document.hasFocus();

/** Close the running interval (if any) and open a new one when the page is engaged now. */
function update(): void {
  const now = Date.now();
  if (since) engagedMs += now - since;
  since = engaged() ? now : 0;
}

/**
 * At page hide. A navigation fires pagehide first and visibilitychange after it, while
 * the page still looks visible and focused: counting must stop at the first of the two,
 * or the second reports a few ms of its own and costs one more request per page.
 */
function report(): void {
  update();
  since = 0;
  if (engagedMs > 0) {
    event('engagement', { engaged_ms: Math.min(Math.round(engagedMs), 86400000) });
    engagedMs = 0;
  }
}

/** Must be called before the tracker's init so that the engagement event is queued before the hide flush. */
export function trackEngagement(): void {
  since = engaged() ? Date.now() : 0;
  addEventListener('focus', update);
  addEventListener('blur', update);
  addEventListener('visibilitychange', () => (document.visibilityState === 'hidden' ? report() : update()));
  addEventListener('pagehide', report);
}
