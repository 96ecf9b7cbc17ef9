import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AppError } from '@claw/core';
import type { ActiveSession, SessionService } from '../auth/session-service.ts';
import type { AppEnv } from './context.ts';

export type CookiePolicy = { https: boolean };

// RFC 6265bis §4.1.3.2: a __Host- cookie is Secure, host-only and Path=/, so no subdomain can set or shadow it.
export const sessionCookieName = (policy: CookiePolicy) =>
  policy.https ? '__Host-claw_session' : 'claw_session';

export function setSessionCookie(c: Context, policy: CookiePolicy, token: string, expiresAt: Date): void {
  setCookie(c, sessionCookieName(policy), token, {
    httpOnly: true,
    secure: policy.https,
    sameSite: 'Lax',
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context, policy: CookiePolicy): void {
  deleteCookie(c, sessionCookieName(policy), { path: '/', secure: policy.https });
}

export function readSessionToken(c: Context, policy: CookiePolicy): string | undefined {
  return getCookie(c, sessionCookieName(policy));
}

/** Resolves the cookie to a live session (or null) once per request. */
export function sessionMiddleware(sessions: SessionService, policy: CookiePolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = readSessionToken(c, policy);
    c.set('session', token ? await sessions.resolve(token) : null);
    return next();
  };
}

export function requireSession(c: Context<AppEnv>): ActiveSession {
  const session = c.get('session');
  if (!session) throw new AppError('auth.required', 'Sign in to continue.');
  return session;
}
