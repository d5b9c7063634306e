/**
 * The offline queue (full build): every event is written to IndexedDB when
 * it is queued and deleted once the API answered for it, so events survive
 * offline periods, failed sends and page unloads, and the next page load
 * sends them. Keys are `ts + event_id`, so key order is time order and the
 * cap drops the oldest first.
 */
import { countDropped } from './identity';
import type { ClickstreamEvent } from './types';

const DB_NAME = 'clickstream';
const STORE = 'queue';

let database: Promise<IDBDatabase> | undefined;

const key = (e: ClickstreamEvent): string => e.ts + e.event_id;

function open(): Promise<IDBDatabase> {
  return (database ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }));
}

/** Run `work` in one read-write transaction; resolves with the value `work` left in `result`. */
function transaction<T>(work: (store: IDBObjectStore, result: { value?: T }) => void): Promise<T | undefined> {
  return open().then(
    (db) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, 'readwrite');
        const result: { value?: T } = {};
        work(tx.objectStore(STORE), result);
        tx.oncomplete = () => resolve(result.value);
        tx.onerror = tx.onabort = () => reject(tx.error);
      }),
  );
}

/** Save one event; past `cap` events, delete the oldest and count them as dropped. */
export function save(event: ClickstreamEvent, cap: number): Promise<unknown> {
  return transaction((store) => {
    store.put(event, key(event));
    const count = store.count();
    count.onsuccess = () => {
      let excess = count.result - cap;
      if (excess > 0) {
        countDropped(excess);
        store.openCursor().onsuccess = function () {
          const cursor = this.result;
          if (cursor && excess-- > 0) {
            cursor.delete();
            cursor.continue();
          }
        };
      }
    };
  });
}

export const forget = (events: ClickstreamEvent[]): Promise<unknown> =>
  transaction((store) => events.forEach((e) => store.delete(key(e))));

export const clear = (): Promise<unknown> => transaction((store) => store.clear());

/** Every saved event, oldest first. */
export const load = (): Promise<ClickstreamEvent[] | undefined> =>
  transaction<ClickstreamEvent[]>((store, result) => {
    store.getAll().onsuccess = function () {
      result.value = this.result;
    };
  });
