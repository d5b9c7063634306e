// The edge sign-in, given / when / then, with tokens minted here: a local RSA key pair,
// its JWKS injected into aws-jwt-verify's cache (no network), claims shaped like
// Cognito's ID tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { parseConfig } from '../src/config.mjs';
import { createAuthenticator, createHandler, stripAuthCookies } from '../src/handler.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = 'analytics.example.com';
const ADMIN = parseConfig({
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AdminPool1',
  userPoolAppId: 'edgeclient123',
  userPoolDomain: 'shop-admin.auth.eu-west-1.amazoncognito.com',
});
const SHOPPER_POOL = 'eu-west-1_ShopperPool';
const SHOPPER_CLIENT = 'siteclient456';
const issuer = (pool) => `https://cognito-idp.eu-west-1.amazonaws.com/${pool}`;

const adminKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ADMIN_KID = 'admin-key-1';

function b64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function mint({
  pool = ADMIN.userPoolId,
  aud = ADMIN.userPoolAppId,
  tokenUse = 'id',
  expiresIn = 3600,
  kid = ADMIN_KID,
  key = adminKey.privateKey,
  sub = 'admin-sub',
} = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid, typ: 'JWT' };
  const payload = {
    sub,
    aud,
    iss: issuer(pool),
    token_use: tokenUse,
    'cognito:username': sub,
    email: 'owner@example.com',
    auth_time: now,
    iat: now,
    exp: now + expiresIn,
  };
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(key).toString('base64url');
  return `${signingInput}.${signature}`;
}

function handlerWithLocalJwks() {
  const authenticator = createAuthenticator(ADMIN);
  const jwk = adminKey.publicKey.export({ format: 'jwk' });
  // cognito-at-edge keeps its aws-jwt-verify CognitoJwtVerifier here; caching the JWKS
  // means verify() never fetches https://cognito-idp.../.well-known/jwks.json.
  authenticator._jwtVerifier.cacheJwks({ keys: [{ ...jwk, kid: ADMIN_KID, alg: 'RS256', use: 'sig' }] });
  return createHandler(ADMIN, { authenticator });
}

function event({ uri = '/', querystring = '', cookies = [], headers = {} } = {}) {
  const request = {
    clientIp: '203.0.113.7',
    method: 'GET',
    uri,
    querystring,
    headers: {
      host: [{ key: 'Host', value: HOST }],
      ...(cookies.length > 0 ? { cookie: [{ key: 'Cookie', value: cookies.join('; ') }] } : {}),
      ...headers,
    },
  };
  return { Records: [{ cf: { config: { eventType: 'viewer-request' }, request } }] };
}

function sessionCookies(idToken, clientId = ADMIN.userPoolAppId, user = 'admin-sub') {
  const base = `CognitoIdentityServiceProvider.${clientId}`;
  return [`${base}.${user}.idToken=${idToken}`, `${base}.LastAuthUser=${user}`];
}

function assertRedirectToAdminSignIn(response) {
  assert.equal(response.status, '302');
  const location = new URL(response.headers.location[0].value);
  assert.equal(location.origin, `https://${ADMIN.userPoolDomain}`);
  assert.equal(location.pathname, '/authorize');
  assert.equal(location.searchParams.get('client_id'), ADMIN.userPoolAppId);
  assert.equal(location.searchParams.get('redirect_uri'), `https://${HOST}`);
  assert.equal(location.searchParams.get('response_type'), 'code');
}

test('a request without a session is redirected to the admin pool sign-in', async () => {
  const handler = handlerWithLocalJwks();
  const response = await handler(event({ uri: '/sessions', querystring: 'tab=funnel' }));
  assertRedirectToAdminSignIn(response);
  assert.equal(new URL(response.headers.location[0].value).searchParams.get('state'), '/sessions?tab=funnel');
});

test('a valid admin ID token passes, without its sign-in cookies', async () => {
  const handler = handlerWithLocalJwks();
  const request = event({ uri: '/', cookies: [...sessionCookies(mint()), 'shiny-session=abc'] });
  const result = await handler(request);
  assert.equal(result.status, undefined, 'forwarded to the origin, not answered at the edge');
  assert.equal(result.uri, '/');
  assert.deepEqual(result.headers.cookie, [{ key: 'Cookie', value: 'shiny-session=abc' }]);
});

test('a token of the shoppers pool is refused, even validly signed', async () => {
  const handler = handlerWithLocalJwks();
  // Same key and kid as the admin pool's: only the issuer and audience differ.
  const shopperToken = mint({ pool: SHOPPER_POOL, aud: SHOPPER_CLIENT });
  const asShopperCookie = await handler(event({ cookies: sessionCookies(shopperToken, SHOPPER_CLIENT) }));
  assertRedirectToAdminSignIn(asShopperCookie);
  const underAdminCookieName = await handler(event({ cookies: sessionCookies(shopperToken) }));
  assertRedirectToAdminSignIn(underAdminCookieName);
});

test('an admin-pool token for another client, an access token or an expired token is refused', async () => {
  const handler = handlerWithLocalJwks();
  for (const token of [mint({ aud: SHOPPER_CLIENT }), mint({ tokenUse: 'access' }), mint({ expiresIn: -60 })]) {
    assertRedirectToAdminSignIn(await handler(event({ cookies: sessionCookies(token) })));
  }
});

test('a token signed by another key is refused', async () => {
  const handler = handlerWithLocalJwks();
  const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  assertRedirectToAdminSignIn(await handler(event({ cookies: sessionCookies(mint({ key: forger.privateKey })) })));
});

const WEBSOCKET_HEADERS = {
  upgrade: [{ key: 'Upgrade', value: 'websocket' }],
  connection: [{ key: 'Connection', value: 'Upgrade' }],
  'sec-websocket-key': [{ key: 'Sec-WebSocket-Key', value: 'dGhlIHNhbXBsZSBub25jZQ==' }],
  'sec-websocket-version': [{ key: 'Sec-WebSocket-Version', value: '13' }],
};

test("Shiny's websocket upgrade passes with a valid admin session", async () => {
  const handler = handlerWithLocalJwks();
  const result = await handler(
    event({ uri: '/websocket/', cookies: sessionCookies(mint()), headers: WEBSOCKET_HEADERS }),
  );
  assert.equal(result.status, undefined);
  assert.equal(result.uri, '/websocket/');
  assert.equal(result.headers.upgrade[0].value, 'websocket');
  assert.equal(result.headers['sec-websocket-key'][0].value, 'dGhlIHNhbXBsZSBub25jZQ==');
});

test('a websocket upgrade without a session gets 401, not a redirect it cannot follow', async () => {
  const handler = handlerWithLocalJwks();
  const result = await handler(event({ uri: '/websocket/', headers: WEBSOCKET_HEADERS }));
  assert.equal(result.status, '401');
  assert.equal(result.headers.location, undefined);
});

test('without configuration the function fails closed', async () => {
  const handler = createHandler(parseConfig({ region: '', userPoolId: '', userPoolAppId: '', userPoolDomain: '' }));
  const result = await handler(event({ cookies: sessionCookies(mint()) }));
  assert.equal(result.status, '503');
});

test('a bad configuration is refused with the field that is wrong', () => {
  assert.throws(
    () => parseConfig({ ...ADMIN, userPoolId: 'us-east-1_Other' }),
    /userPoolId .* is not a user pool of eu-west-1/,
  );
  assert.throws(() => parseConfig({ ...ADMIN, userPoolAppId: '' }), /userPoolAppId is missing or empty/);
  assert.throws(() => parseConfig({ ...ADMIN, secret: 'x' }), /unknown fields: secret/);
  assert.throws(() => parseConfig([]), /JSON object/);
});

test('stripAuthCookies keeps every other cookie and drops an empty header', () => {
  const request = event({ cookies: sessionCookies('t') }).Records[0].cf.request;
  assert.equal(stripAuthCookies(request, ADMIN.userPoolAppId).headers.cookie, undefined);
});

function unzipSingle(zipBytes) {
  // One deflated entry: local header (30 bytes + name), then the data.
  const nameLength = zipBytes.readUInt16LE(26);
  const compressedSize = zipBytes.readUInt32LE(18);
  const name = zipBytes.subarray(30, 30 + nameLength).toString();
  const data = inflateRawSync(zipBytes.subarray(30 + nameLength, 30 + nameLength + compressedSize));
  return { name, data };
}

test('the build bakes the configuration into a reproducible zip with a sidecar for Terraform', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-auth-build-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(ADMIN));
  const build = (out) =>
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--config', configPath, '--out', out], {
      encoding: 'utf8',
    });
  build(join(dir, 'a.zip'));
  build(join(dir, 'b.zip'));
  const first = readFileSync(join(dir, 'a.zip'));
  assert.ok(first.equals(readFileSync(join(dir, 'b.zip'))), 'same input, same bytes');
  const { name, data } = unzipSingle(first);
  assert.equal(name, 'index.mjs');
  assert.ok(data.includes(ADMIN.userPoolId) && data.includes(ADMIN.userPoolAppId), 'pool and client are baked in');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'a.config.json'), 'utf8')), { ...ADMIN });
  assert.ok(first.length < 1024 * 1024, 'viewer-request functions are limited to 1 MB zipped');
});

test('the build refuses a broken configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-auth-build-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...ADMIN, region: 'mars' }));
  assert.throws(
    () =>
      execFileSync(
        process.execPath,
        [join(ROOT, 'scripts/build.mjs'), '--config', configPath, '--out', join(dir, 'x.zip')],
        { stdio: 'pipe' },
      ),
    (err) => /region "mars" is not an AWS region/.test(err.stderr.toString()),
  );
});
