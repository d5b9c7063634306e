// Every test gets a fresh page: empty storage, a fresh IndexedDB, no listeners or
// history patches left behind by an earlier SDK instance.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, vi } from 'vitest';

const originalAdd = window.addEventListener.bind(window);
const originalPushState = history.pushState;
let added: [string, EventListenerOrEventListenerObject][] = [];

beforeEach(() => {
  localStorage.clear();
  globalThis.indexedDB = new IDBFactory();
  window.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject, options?: unknown) => {
    added.push([type, listener]);
    originalAdd(type, listener, options as AddEventListenerOptions);
  }) as typeof window.addEventListener;
  setOnline(true);
  setVisibility('visible');
  vi.resetModules();
});

afterEach(() => {
  for (const [type, listener] of added) window.removeEventListener(type, listener);
  added = [];
  history.pushState = originalPushState;
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

export function setOnline(online: boolean): void {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
}

export function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
}
