// The size budget: min+gzip bytes of the <script> builds, failing when one is over.
// Run after the build (npm test does both).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
export const BUDGETS = { 'clickstream.core.js': 1536, 'clickstream.full.js': 3072 };

export const gzipSize = (bytes) => gzipSync(bytes).length;

let over = 0;
for (const [file, budget] of Object.entries(BUDGETS)) {
  const bytes = readFileSync(join(dist, file));
  const size = gzipSize(bytes);
  const verdict = size <= budget ? 'ok' : 'OVER BUDGET';
  if (size > budget) over++;
  console.log(
    `${file.padEnd(22)} ${String(bytes.length).padStart(6)} B min  ${String(size).padStart(5)} B min+gzip  budget ${budget} B  ${verdict}`,
  );
}
if (over) {
  console.error(`size budget exceeded by ${over} build(s)`);
  process.exit(1);
}
