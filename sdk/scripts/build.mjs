// Builds the SDK: minified IIFE bundles for <script defer> (dist/clickstream.{core,full}.js),
// ES modules for bundlers (dist/esm/) and type declarations (dist/types/).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { minify } from 'terser';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

// Browsers that have crypto.randomUUID, sendBeacon, fetch keepalive and optional chaining.
const target = ['chrome92', 'firefox95', 'safari15.4', 'edge92'];

await Promise.all([
  ...['core', 'full'].map((name) =>
    build({
      entryPoints: [join(root, `src/iife-${name}.ts`)],
      outfile: join(dist, `clickstream.${name}.js`),
      bundle: true,
      format: 'iife',
      minify: true,
      target,
      legalComments: 'none',
      // A classic script that sets one global: no "use strict" prologue to pay for.
      tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
    }),
  ),
  build({
    entryPoints: [join(root, 'src/core.ts'), join(root, 'src/full.ts')],
    outdir: join(dist, 'esm'),
    bundle: true,
    splitting: true,
    format: 'esm',
    target,
  }),
]);

// esbuild bundles; terser's multi-pass compression then saves the ~50 bytes the core budget needs.
for (const name of ['core', 'full']) {
  const file = join(dist, `clickstream.${name}.js`);
  const result = await minify(readFileSync(file, 'utf8'), { compress: { passes: 3 }, mangle: true, ecma: 2020 });
  writeFileSync(file, result.code);
}

execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
console.log('built', dist);
