/** The core build: identity, sessions, page views, track, batching, beacon/fetch with retry. */
export { consent, event, flush, identify, init, page, reset, track } from './tracker';
export type * from './types';
