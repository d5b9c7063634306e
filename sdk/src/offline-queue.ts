/**
 * The offline queue (full build): every event is written to IndexedDB when
 * it is queued and deleted once the API answered for it, so events survive
 * offline periods, failed sends and page unloads, and the next page load
 * sends them. Keys are auto-incremented, so key order is queue order (even
 * for events within one millisecond) and the cap drops the oldest first.
 */
import { countDropped } from './identity';
import type { ClickstreamEvent } from './types';

export const DB_NAME = 'clickstream';
export const STORE_NAME = 'queue';

let database: Promise<IDBDatabase> | undefined;
/** event_id -> IndexedDB key, to forget an event once it is settled. */
const keys = new Map<string, IDBValidKey>();

function open(): Promise<IDBDatabase> {
  return (database ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE_NAME, { autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }));
}

/** Run `work` in one read-write transaction; resolves when it committed. */
const transaction = (work: (store: IDBObjectStore) => void): Promise<void> =>
  open().then(
    (db) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction(STORE_NAME, 'readwrite');
        work(tx.objectStore(STORE_NAME));
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error);
      }),
  );

/** Save one event; past `cap` events, delete the oldest and count them as dropped. */
export const save = (event: ClickstreamEvent, cap: number): Promise<void> =>
  transaction((store) => {
    store.add(event).onsuccess = function () {
      keys.set(event.event_id, this.result);
    };
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

export const forget = (events: ClickstreamEvent[]): Promise<void> =>
  transaction((store) => {
    // Read-write transactions on one store run in creation order, so once this first
    // request succeeds every earlier save has committed and its key is known.
    store.count().onsuccess = () =>
      events.forEach((e) => {
        const key = keys.get(e.event_id);
        if (key !== undefined) (store.delete(key), keys.delete(e.event_id));
      });
  });

export const clear = (): Promise<void> => transaction((store) => store.clear());

/** Every saved event, oldest first (and remember their keys). */
export function load(): Promise<ClickstreamEvent[]> {
  const events: ClickstreamEvent[] = [];
  return transaction((store) => {
    store.openCursor().onsuccess = function () {
      const cursor = this.result;
      if (cursor) {
        keys.set(cursor.value.event_id, cursor.key);
        events.push(cursor.value);
        cursor.continue();
      }
    };
  }).then(() => events);
}
