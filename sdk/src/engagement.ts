/**
 * Engaged time (full build): milliseconds the page was visible AND focused, sent as an
 * `engagement` event when the page is hidden (tab switch, navigation, close),
 * so a one-page visit still has a duration. Each hide sends the time since
 * the previous one; the warehouse sums them per page view.
 */
import { event } from './tracker';

let engagedMs = 0;
let since = 0;
/** Hidden since the last report: nothing counts until the page is shown again. */
let away = false;

/** Close the running interval (if any) and open a new one when the page is engaged now. */
function update(): void {
  const now = Date.now();
  if (since) engagedMs += now - since;
  since = !away && document.visibilityState === 'visible' && document.hasFocus() ? now : 0;
}

/**
 * For the tracker's hide hook (full.ts): queue the time since the last report just
 * before the hide's flush, so it leaves in the same request as the page's other events,
 * whichever of pagehide and visibilitychange comes first. A navigation fires pagehide
 * while the page still looks visible and focused: counting stops there (`away`), or the
 * second event would report a few ms of its own and cost one more request per page.
 */
export function report(): void {
  away = true;
  update();
  if (engagedMs > 0) {
    event('engagement', { engaged_ms: Math.min(Math.round(engagedMs), 86400000) });
    engagedMs = 0;
  }
}

/** Shown again (back to the tab, or restored from the back/forward cache): count anew. */
function shown(): void {
  if (document.visibilityState === 'visible') {
    away = false;
    update();
  }
}

export function trackEngagement(): void {
  update();
  addEventListener('focus', update);
  addEventListener('blur', update);
  addEventListener('visibilitychange', shown);
  addEventListener('pageshow', shown);
}
