/**
 * Who and when: the anonymous id (one per browser), the session id (rolled
 * after inactivity or on a new campaign) and the signed-in user's id.
 * Everything lives in localStorage so it survives page loads of a static site.
 */

export const ANON_KEY = 'cs_aid';
export const SESSION_KEY = 'cs_sid';
export const OPT_OUT_KEY = 'cs_off';
export const DROPPED_KEY = 'cs_drop';

/** localStorage that never throws (disabled storage, Safari private mode): reads give null. */
export function store(key: string, value?: string | null): string | null {
  try {
    if (value === null) localStorage.removeItem(key);
    else if (value) localStorage.setItem(key, value);
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export const uuid = (): string => crypto.randomUUID();

export const isoNow = (): string => new Date().toISOString();

export function anonymousId(): string {
  return store(ANON_KEY) || (store(ANON_KEY, uuid()) as string);
}

/**
 * The current session id, touched as of `now`. A session is
 * [id, last activity ms, utm_campaign]; it rolls when idle longer than
 * `timeoutMs` or when the page arrives with a different utm_campaign.
 */
export function sessionId(timeoutMs: number, now = Date.now()): string {
  let [id, last, campaign] = JSON.parse(store(SESSION_KEY) || '[]') as [string?, number?, string?];
  const utm = new URLSearchParams(location.search).get('utm_campaign');
  if (!id || now - (last as number) > timeoutMs || (utm && utm !== campaign)) {
    id = uuid();
    campaign = utm || campaign;
  }
  store(SESSION_KEY, JSON.stringify([id, now, campaign]));
  return id;
}

/** The `sub` claim of a JWT (base64url payload; the server verifies the signature). */
export function subject(token: string): string | undefined {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub;
  } catch {
    return undefined;
  }
}

/** Events dropped because a queue was full, kept across pages so that the loss is visible. */
export const dropped = (): number => +(store(DROPPED_KEY) || 0);

export const countDropped = (count: number): void => void store(DROPPED_KEY, String(dropped() + count));
