// The configuration Lambda@Edge cannot take from environment variables: baked into
// the bundle by scripts/build.mjs from `terraform output -json edge_auth_config`.

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/;
const CLIENT_ID = /^[a-z0-9]{1,128}$/;
const DOMAIN = /^[a-z0-9-]+\.auth\.[a-z0-9-]+\.amazoncognito\.com$|^[a-z0-9.-]+\.[a-z]{2,}$/;
const FIELDS = ['region', 'userPoolId', 'userPoolAppId', 'userPoolDomain'];

/**
 * Checks the baked configuration.
 * @returns {null | {region: string, userPoolId: string, userPoolAppId: string, userPoolDomain: string}}
 *   null for the placeholder a build writes before the admin pool exists (every field
 *   empty): the function then fails closed.
 */
export function parseConfig(raw) {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('edge-auth config must be a JSON object with ' + FIELDS.join(', '));
  }
  const unknown = Object.keys(raw).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) {
    throw new Error(`edge-auth config has unknown fields: ${unknown.join(', ')}`);
  }
  if (FIELDS.every((k) => raw[k] === '' || raw[k] === undefined)) {
    return null;
  }
  for (const k of FIELDS) {
    if (typeof raw[k] !== 'string' || raw[k] === '') {
      throw new Error(`edge-auth config: ${k} is missing or empty`);
    }
  }
  const { region, userPoolId, userPoolAppId, userPoolDomain } = raw;
  if (!REGION.test(region)) throw new Error(`edge-auth config: region ${JSON.stringify(region)} is not an AWS region`);
  if (!new RegExp(`^${region}_[A-Za-z0-9]+$`).test(userPoolId)) {
    throw new Error(`edge-auth config: userPoolId ${JSON.stringify(userPoolId)} is not a user pool of ${region}`);
  }
  if (!CLIENT_ID.test(userPoolAppId))
    throw new Error(`edge-auth config: userPoolAppId ${JSON.stringify(userPoolAppId)} is not an app client id`);
  if (!DOMAIN.test(userPoolDomain))
    throw new Error(`edge-auth config: userPoolDomain ${JSON.stringify(userPoolDomain)} is not a host name`);
  return Object.freeze({ region, userPoolId, userPoolAppId, userPoolDomain });
}
