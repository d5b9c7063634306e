// Builds the Lambda@Edge zip Terraform deploys (modules/edge_auth):
//   node scripts/build.mjs --config <edge_auth_config.json | -> --out <zip>
// The config is `terraform output -json edge_auth_config` (or {} before the admin pool
// exists: the bundle then fails closed). It is checked, baked into one ESM bundle
// (index.mjs, esbuild, Node 20), and written beside the zip as <zip minus .zip>.config.json
// for Terraform's check that the bundle belongs to this environment's pool. The zip is
// deterministic (fixed timestamps), so an unchanged build does not redeploy.
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { parseConfig } from '../src/config.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!['--config', '--out'].includes(key) || argv[i + 1] === undefined) {
      throw new Error(`usage: build.mjs --config <file|-> --out <zip> (got ${argv.join(' ')})`);
    }
    out[key.slice(2)] = argv[i + 1];
  }
  if (!out.config || !out.out) throw new Error('usage: build.mjs --config <file|-> --out <zip>');
  return out;
}

/** A zip of stored-or-deflated entries with a fixed 1980-01-01 timestamp. */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name);
    const deflated = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix, 3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, deflated);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + deflated.length;
  }
  const centralBuf = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBuf, end]);
}

async function main() {
  const { config: configPath, out } = args(process.argv.slice(2));
  const raw = JSON.parse(readFileSync(configPath === '-' ? 0 : configPath, 'utf8'));
  const config = parseConfig(raw);
  const baked = config ?? { region: '', userPoolId: '', userPoolAppId: '', userPoolDomain: '' };
  const work = mkdtempSync(join(tmpdir(), 'edge-auth-'));
  try {
    writeFileSync(join(work, 'config.json'), JSON.stringify(baked));
    writeFileSync(
      join(work, 'entry.mjs'),
      [
        "import raw from './config.json' with { type: 'json' };",
        `import { parseConfig } from ${JSON.stringify(join(ROOT, 'src/config.mjs'))};`,
        `import { createHandler } from ${JSON.stringify(join(ROOT, 'src/handler.mjs'))};`,
        'export const handler = createHandler(parseConfig(raw));',
        '',
      ].join('\n'),
    );
    const result = await build({
      entryPoints: [join(work, 'entry.mjs')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      minify: true,
      legalComments: 'none',
      write: false,
      nodePaths: [join(ROOT, 'node_modules')],
      // axios and pino reach for require() in ESM output.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    const bundle = Buffer.from(result.outputFiles[0].contents);
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, zip([['index.mjs', bundle]]));
    const sidecar = out.replace(/\.zip$/, '') + '.config.json';
    writeFileSync(sidecar, JSON.stringify(baked, null, 2) + '\n');
    console.log(
      `${out}: ${bundle.length} bytes bundled, ${config === null ? 'NOT CONFIGURED (fails closed with 503)' : `pool ${config.userPoolId}, client ${config.userPoolAppId}`}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`edge-auth build: ${err.message}`);
    process.exit(1);
  });
}
