import { describe, expect, it } from 'vitest';
import { ANON_KEY, OPT_OUT_KEY, SESSION_KEY } from '../../src/identity';
import { fakeNetwork, hidePage, loadSdk, readStored, settle } from './harness';
import { setOnline } from './setup';

describe('consent switch', () => {
  it('opting out stops all sending, drops queued and stored events and clears the ids', async () => {
    const network = fakeNetwork();
    setOnline(false); // keep the page view queued and stored
    const sdk = await loadSdk({ batchSize: 5 });
    await settle();
    expect(localStorage.getItem(ANON_KEY)).not.toBeNull();
    expect(await readStored()).toHaveLength(1);

    sdk.consent(false);
    await settle();
    setOnline(true);
    window.dispatchEvent(new Event('online'));
    sdk.track('click');
    sdk.page();
    hidePage();
    await settle();
    expect(network.sent).toHaveLength(0);
    expect(localStorage.getItem(ANON_KEY)).toBeNull();
    expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    expect(await readStored()).toEqual([]);
  });

  it('is remembered on the next page load, and opting in resumes with fresh ids', async () => {
    const network = fakeNetwork();
    const first = await loadSdk({ batchSize: 1 });
    await settle();
    const before = network.events()[0].anonymous_id;
    first.consent(false);
    expect(localStorage.getItem(OPT_OUT_KEY)).toBe('1');

    const { vi } = await import('vitest');
    vi.resetModules();
    const second = await loadSdk({ batchSize: 1 });
    second.track('click');
    await settle();
    expect(network.sent).toHaveLength(1);

    second.consent(true);
    second.track('click');
    await settle();
    expect(network.sent).toHaveLength(2);
    expect(network.events()[1].anonymous_id).not.toBe(before);
  });
});

describe('Do Not Track', () => {
  const setDnt = (value: string | null) =>
    Object.defineProperty(navigator, 'doNotTrack', { configurable: true, get: () => value });

  it('is respected when configured', async () => {
    setDnt('1');
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 1, respectDnt: true });
    sdk.track('click');
    await settle();
    expect(network.sent).toHaveLength(0);
    expect(localStorage.getItem(ANON_KEY)).toBeNull();
    setDnt(null);
  });

  it('is ignored unless configured', async () => {
    setDnt('1');
    const network = fakeNetwork();
    await loadSdk({ batchSize: 1 });
    await settle();
    expect(network.sent).toHaveLength(1);
    setDnt(null);
  });
});
