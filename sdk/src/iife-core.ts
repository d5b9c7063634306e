/** `<script defer src="clickstream.core.js">` exposes the core API as `window.clickstream`. */
import { consent, event, flush, identify, init, page, reset, track } from './core';

(window as unknown as { clickstream: object }).clickstream = {
  init,
  page,
  track,
  event,
  identify,
  reset,
  flush,
  consent,
};
