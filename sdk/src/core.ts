/** The core build: identity, sessions, page views, track, batching, beacon/fetch with retry. */
export {
  consent,
  DEFAULT_BATCH_SIZE,
  DEFAULT_FLUSH_MS,
  event,
  flush,
  identify,
  init,
  page,
  reset,
  track,
} from './tracker';
export type * from './types';
