import { describe, expect, it } from 'vitest';
import { fakeNetwork, loadSdk, settle } from './harness';

// A UTF-16 unit that is half of a pair with no other half next to it.
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// No spaces: document.title collapses whitespace, which would blur the prefix check.
const PIECES = ['a', 'é', '中', '😀', '👍🏽', '𝔘', '🇻🇳'];

/** A seeded generator (mulberry32): the same titles on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('strings are cut on code-point boundaries', () => {
  it('never sends half of an emoji, whatever the title and wherever the cut falls', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 100, flushMs: 10, autoPageviews: false });
    const next = random(8);
    const titles: string[] = [];
    for (let n = 0; n < 200; n++) {
      let title = '';
      const length = 200 + Math.floor(next() * 120);
      while (title.length < length) title += PIECES[Math.floor(next() * PIECES.length)];
      titles.push(title);
      document.title = title;
      sdk.page();
      sdk.search(title, 1);
    }
    for (let i = 0; i < 20 && network.events().length < 2 * titles.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await settle();
    }
    const events = network.events();
    const views = events.filter((e) => e.event_type === 'view');
    const searches = events.filter((e) => e.event_type === 'search');
    expect(views).toHaveLength(titles.length);
    expect(searches).toHaveLength(titles.length);
    views.forEach((view, i) => {
      const sent = view.page_title as string;
      expect(LONE.test(sent)).toBe(false);
      expect(titles[i].startsWith(sent)).toBe(true);
      expect(sent.length).toBeGreaterThanOrEqual(Math.min(titles[i].length, 255));
    });
    searches.forEach((search, i) => {
      const sent = search.props?.search_query as string;
      expect(LONE.test(sent)).toBe(false);
      expect(titles[i].startsWith(sent)).toBe(true);
    });
  });
});
