// A fake network for the SDK: records what fetch and sendBeacon were given and
// answers with a scripted status, and a validator built from the real contract file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020';
import { expect, vi } from 'vitest';
import type { ClickstreamEvent, Config } from '../../src/types';
import { setVisibility } from './setup';

const schemaPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../lambdas/clickstream/contract/event.schema.json',
);
const validate = new Ajv2020({ allErrors: true, strictTypes: false }).compile(
  JSON.parse(readFileSync(schemaPath, 'utf8')),
);

export const ENDPOINT = 'http://127.0.0.1:9/';
export const INGEST_URL = 'http://127.0.0.1:9/v1/events';
/** Chromium's (and the fetch standard's) cap on keepalive bodies in flight. */
export const BROWSER_KEEPALIVE_BYTES = 65536;

export interface Sent {
  via: 'fetch' | 'beacon';
  url: string;
  headers: Record<string, string>;
  body: { events: ClickstreamEvent[]; sent_at: string; api_key?: string; id_token?: string };
  contentType: string;
}

export interface Network {
  sent: Sent[];
  /** Status of the next responses, in order; 'error' rejects like a network failure. Default 202. */
  script: (number | 'error')[];
  beaconAccepts: boolean;
  events(): ClickstreamEvent[];
}

/** What a browser's fetch sends as the Content-Type of a body (a string: text/plain). */
const bodyType = (body: unknown, headers: Record<string, string>): string =>
  headers['content-type'] ?? (typeof body === 'string' ? 'text/plain;charset=UTF-8' : '');

export function fakeNetwork(): Network {
  const network: Network = {
    sent: [],
    script: [],
    beaconAccepts: true,
    events: () => network.sent.flatMap((s) => s.body.events),
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      const headers = (init.headers ?? {}) as Record<string, string>;
      // Browsers refuse a keepalive body past 64 KiB like a network failure.
      if (init.keepalive && new Blob([init.body as string]).size > BROWSER_KEEPALIVE_BYTES)
        throw new TypeError('Failed to fetch');
      network.sent.push({
        via: 'fetch',
        url,
        headers,
        body: JSON.parse(init.body as string),
        contentType: bodyType(init.body, headers),
      });
      const outcome = network.script.shift() ?? 202;
      if (outcome === 'error') throw new TypeError('Failed to fetch');
      return new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status: outcome });
    }),
  );
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: vi.fn((url: string, data: string) => {
      // A browser queues the beacon, or refuses it (false) past its 64 KiB budget.
      if (!network.beaconAccepts || new Blob([data]).size > BROWSER_KEEPALIVE_BYTES) return false;
      network.sent.push({ via: 'beacon', url, headers: {}, body: JSON.parse(data), contentType: bodyType(data, {}) });
      return true;
    }),
  });
  return network;
}

/** A fresh SDK module (as on a new page load) initialised with `config`. */
export async function loadSdk(config: Partial<Config> = {}, build: 'full' | 'core' = 'full') {
  const sdk = await import(build === 'full' ? '../../src/full' : '../../src/core');
  sdk.init({ endpoint: ENDPOINT, apiKey: 'site-key-1', ...config });
  return sdk as typeof import('../../src/full');
}

/** Lets promises (fetch mock, IndexedDB) settle. */
export const settle = async (rounds = 20): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

export function hidePage(): void {
  setVisibility('hidden');
  // Real browsers fire it at the document; it bubbles to the window, where the SDK listens.
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
}

/** Asserts every event conforms to the ingest API's JSON Schema, as it travels (JSON round trip). */
export function expectValid(events: ClickstreamEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    const wire = JSON.parse(JSON.stringify(event));
    const ok = validate(wire);
    expect(ok, `${event.event_type}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(wire)}`).toBe(true);
  }
}

/** An unsigned JWT with the given claims (the SDK only reads `sub`; the API verifies signatures). */
export function fakeIdToken(claims: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256', kid: 'k' })}.${encode(claims)}.c2lnbmF0dXJl`;
}

/** What the SDK has in its IndexedDB queue, read with the plain IndexedDB API, oldest first. */
export function readStored(): Promise<ClickstreamEvent[]> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('clickstream');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('queue')) return (db.close(), resolve([]));
      const all = db.transaction('queue').objectStore('queue').getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result);
      };
    };
  });
}

/** Replace the SDK's IndexedDB queue content (to simulate a write that never committed). */
export function rewriteStored(events: ClickstreamEvent[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('clickstream');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const tx = request.result.transaction('queue', 'readwrite');
      const queue = tx.objectStore('queue');
      queue.clear();
      events.forEach((e) => queue.add(e));
      tx.oncomplete = () => (request.result.close(), resolve());
    };
  });
}
