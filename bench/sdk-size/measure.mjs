// Min+gzip bytes of our two <script> builds beside other analytics SDKs bundled by
// esbuild the same way in the same run: each entry imports what a store needs for
// page views and custom events, minified for browsers, then gzipped.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const sdkDist = join(here, '..', '..', 'sdk', 'dist');
const gz = (bytes) => gzipSync(bytes).length;

// What an integration imports to get page views and custom events going.
const competitors = {
  '@snowplow/browser-tracker': `import { newTracker, trackPageView, trackSelfDescribingEvent } from '@snowplow/browser-tracker';
newTracker('sp', 'https://collector.example', { appId: 'store' });
trackPageView();
trackSelfDescribingEvent({ event: { schema: 'iglu:com.example/click/jsonschema/1-0-0', data: {} } });`,
  'posthog-js': `import posthog from 'posthog-js';
posthog.init('phc_key', { api_host: 'https://ph.example' });
posthog.capture('click');`,
  '@segment/analytics-next': `import { AnalyticsBrowser } from '@segment/analytics-next';
const analytics = AnalyticsBrowser.load({ writeKey: 'key' });
analytics.page();
analytics.track('click');`,
};

const work = mkdtempSync(join(tmpdir(), 'sdk-size-'));
const rows = [];
try {
  for (const name of ['clickstream.core.js', 'clickstream.full.js']) {
    const bytes = readFileSync(join(sdkDist, name));
    rows.push([`ours: ${name}`, bytes.length, gz(bytes)]);
  }
  for (const [name, source] of Object.entries(competitors)) {
    const entry = join(work, name.replace(/[@/]/g, '_') + '.mjs');
    writeFileSync(entry, source);
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome92', 'firefox95', 'safari15.4'],
      write: false,
      nodePaths: [join(here, 'node_modules')],
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    // Dynamically imported chunks (Segment's plugins) are loaded later; count the entry only.
    const code = result.outputFiles[0].contents;
    rows.push([name, code.length, gz(code)]);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const core = rows[0][2];
console.log('sdk'.padEnd(34), 'min B'.padStart(9), 'min+gzip B'.padStart(11), 'x our core'.padStart(11));
for (const [name, min, gzip] of rows) {
  console.log(name.padEnd(34), String(min).padStart(9), String(gzip).padStart(11), (gzip / core).toFixed(1).padStart(11));
}
