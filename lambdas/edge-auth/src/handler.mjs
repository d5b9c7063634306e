// Viewer-request sign-in in front of the dashboard: cognito-at-edge (awslabs) does the
// OAuth code flow against the admin-only pool and verifies the ID token cookie with
// aws-jwt-verify (issuer = the admin pool, audience = the edge client, token_use = id).
// What this file adds: fail closed without configuration, a websocket upgrade gets 401
// instead of a sign-in redirect it could not follow, and the sign-in cookies stay at
// the edge instead of travelling to Nginx and Shiny.
import { Authenticator } from 'cognito-at-edge';

/** The cognito-at-edge Authenticator for a parsed configuration. */
export function createAuthenticator(config) {
  return new Authenticator({
    region: config.region,
    userPoolId: config.userPoolId,
    userPoolAppId: config.userPoolAppId,
    userPoolDomain: config.userPoolDomain,
    // A session lives as long as the refresh token (admin_auth.session_days).
    cookieExpirationDays: 1,
    httpOnly: true,
    sameSite: 'Lax',
    logLevel: 'warn',
  });
}

function header(request, name) {
  const values = request.headers[name];
  return values && values.length > 0 ? values[0].value : undefined;
}

/** Shiny's websocket (GET with Upgrade: websocket). */
export function isWebSocketUpgrade(request) {
  const upgrade = header(request, 'upgrade');
  return (
    (upgrade !== undefined && upgrade.toLowerCase() === 'websocket') ||
    header(request, 'sec-websocket-key') !== undefined
  );
}

function plainResponse(status, statusDescription, body) {
  return {
    status: String(status),
    statusDescription,
    headers: {
      'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }],
      'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    },
    body,
  };
}

/** Drop cognito-at-edge's own cookies from a request that is forwarded to the origin. */
export function stripAuthCookies(request, userPoolAppId) {
  const prefix = `CognitoIdentityServiceProvider.${userPoolAppId}.`;
  const kept = [];
  for (const { value } of request.headers.cookie ?? []) {
    const rest = value
      .split(';')
      .map((c) => c.trim())
      .filter((c) => c !== '' && !c.startsWith(prefix));
    if (rest.length > 0) kept.push({ key: 'Cookie', value: rest.join('; ') });
  }
  if (kept.length > 0) request.headers.cookie = kept;
  else delete request.headers.cookie;
  return request;
}

/**
 * The Lambda@Edge handler for a parsed configuration (null: not configured yet).
 * @param {object} [options] authenticator: a ready Authenticator (tests inject one
 *   whose verifier has the JWKS cached).
 */
export function createHandler(config, { authenticator } = {}) {
  if (config === null) {
    return async () =>
      plainResponse(
        503,
        'Service Unavailable',
        'Dashboard sign-in is not configured yet: run make edge-package and apply.',
      );
  }
  const auth = authenticator ?? createAuthenticator(config);
  return async (event) => {
    const { request } = event.Records[0].cf;
    const websocket = isWebSocketUpgrade(request);
    const result = await auth.handle(event);
    if (result === request) {
      return stripAuthCookies(request, config.userPoolAppId);
    }
    // Not signed in (or a refresh that needs a redirect): a websocket cannot follow a
    // redirect to the hosted sign-in page; Shiny reconnects after the page reloads.
    if (websocket) {
      return plainResponse(401, 'Unauthorized', 'Sign in to the dashboard first.');
    }
    return result;
  };
}
