import { describe, expect, it, vi } from 'vitest';
import { ANON_KEY, SESSION_KEY, sessionId, subject } from '../../src/identity';
import { fakeIdToken, fakeNetwork, loadSdk, settle } from './harness';

const MINUTE = 60_000;

describe('anonymous id', () => {
  it('is generated once and kept across page loads', async () => {
    const network = fakeNetwork();
    await loadSdk({ batchSize: 1 });
    await settle();
    const first = network.events()[0].anonymous_id;
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(localStorage.getItem(ANON_KEY)).toBe(first);

    vi.resetModules();
    await loadSdk({ batchSize: 1 });
    await settle();
    expect(network.events()).toHaveLength(2);
    expect(network.events()[1].anonymous_id).toBe(first);
  });
});

describe('session', () => {
  it('is kept while activity continues within 30 minutes', () => {
    const start = Date.UTC(2026, 10, 28, 10);
    const first = sessionId(30 * MINUTE, start);
    expect(sessionId(30 * MINUTE, start + 29 * MINUTE)).toBe(first);
    // Each event extends the session: 29 + 29 minutes of steady activity is one session.
    expect(sessionId(30 * MINUTE, start + 58 * MINUTE)).toBe(first);
  });

  it('rolls after 30 minutes of inactivity', () => {
    const start = Date.UTC(2026, 10, 28, 10);
    const first = sessionId(30 * MINUTE, start);
    const second = sessionId(30 * MINUTE, start + 30 * MINUTE + 1);
    expect(second).not.toBe(first);
    expect(JSON.parse(localStorage.getItem(SESSION_KEY) as string)[0]).toBe(second);
  });

  it('honours a configured timeout through init', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10));
    const network = fakeNetwork();
    const sdk = await loadSdk({ sessionMinutes: 5, batchSize: 1, autoPageviews: false });
    sdk.track('click');
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 4));
    sdk.track('click');
    vi.setSystemTime(Date.UTC(2026, 10, 28, 10, 9, 1));
    sdk.track('click');
    await settle();
    const sessions = network.events().map((e) => e.session_id);
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[2]).not.toBe(sessions[1]);
  });

  it('rolls when the shopper arrives from a new campaign, not on every page of it', () => {
    const start = Date.UTC(2026, 10, 28, 10);
    history.replaceState(null, '', '/?utm_source=news&utm_campaign=spring');
    const spring = sessionId(30 * MINUTE, start);
    history.replaceState(null, '', '/laptops');
    expect(sessionId(30 * MINUTE, start + MINUTE)).toBe(spring);
    history.replaceState(null, '', '/?utm_campaign=spring');
    expect(sessionId(30 * MINUTE, start + 2 * MINUTE)).toBe(spring);
    history.replaceState(null, '', '/?utm_campaign=black-friday');
    expect(sessionId(30 * MINUTE, start + 3 * MINUTE)).not.toBe(spring);
    history.replaceState(null, '', '/');
  });
});

describe('user id', () => {
  it('reads sub from a Cognito ID token and is absent from malformed ones', () => {
    expect(subject(fakeIdToken({ sub: 'abc-123', token_use: 'id' }))).toBe('abc-123');
    expect(subject('not-a-jwt')).toBeUndefined();
  });

  it('is set by identify, sent with the token as credential, and cleared by reset', async () => {
    const network = fakeNetwork();
    const sdk = await loadSdk({ batchSize: 1, autoPageviews: false });
    sdk.track('click');
    await settle();
    const token = fakeIdToken({ sub: 'user-sub-1' });
    sdk.identify(token);
    sdk.track('click');
    await settle();
    sdk.reset();
    sdk.track('click');
    await settle();

    const [anonymous, signedIn, signedOut] = network.sent;
    expect(anonymous.body.events[0].user_id).toBeUndefined();
    // Credentials ride in the text/plain envelope, never in headers: no CORS preflight.
    expect(anonymous.headers).toEqual({});
    expect(anonymous.contentType).toBe('text/plain;charset=UTF-8');
    expect(anonymous.body.api_key).toBe('site-key-1');

    expect(signedIn.body.events[0].user_id).toBe('user-sub-1');
    // The site key rides along: an expired token is stored as anonymous, not refused.
    expect(signedIn.body.api_key).toBe('site-key-1');
    expect(signedIn.body.id_token).toBe(token);

    expect(signedOut.body.events[0].user_id).toBeUndefined();
    expect(signedOut.body.api_key).toBe('site-key-1');
    expect(signedOut.body.id_token).toBeUndefined();
    // Sign-out starts a new anonymous identity so the next shopper on this device is not linked.
    expect(signedOut.body.events[0].anonymous_id).not.toBe(anonymous.body.events[0].anonymous_id);
  });

  it('asks getToken for the current token on every event', async () => {
    const network = fakeNetwork();
    let current: string | null = null;
    const sdk = await loadSdk({ batchSize: 1, autoPageviews: false, getToken: () => current });
    sdk.track('click');
    await settle();
    current = fakeIdToken({ sub: 'from-getter' });
    sdk.track('click');
    await settle();
    expect(network.sent[0].body.events[0].user_id).toBeUndefined();
    expect(network.sent[1].body.events[0].user_id).toBe('from-getter');
    expect(network.sent[1].body.id_token).toBe(current);
  });
});
