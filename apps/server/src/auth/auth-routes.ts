import type { Context } from 'hono';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { appendAudit } from '../audit/audit-log.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import {
  Email,
  errorResponses,
  jsonBody,
  jsonResponse,
  Password,
  toUser,
  UserResponse,
} from '../http/api-schemas.ts';
import {
  clearSessionCookie,
  requireSession,
  setSessionCookie,
  type CookiePolicy,
} from '../http/session-cookie.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.ts';
import type { SessionService } from './session-service.ts';
import { hashSessionToken } from './session-tokens.ts';
import type { PasswordConfirmation } from './confirm-password.ts';
import type { ProtectedKeys } from '../keys/protected-keys.ts';
import { validationHook } from '../http/validation.ts';

const { users } = schema;

const Credentials = z.object({ email: Email, password: Password }).openapi('Credentials');
// Login accepts any stored password's length; the policy applies when one is chosen.
const LoginCredentials = z.object({ email: Email, password: z.string().min(1).max(256) });

const invalidCredentials = () => new AppError('auth.invalid_credentials', 'Email or password is incorrect.');

function isUniqueViolation(error: unknown): boolean {
  // drizzle wraps driver errors; the SQLSTATE is on the cause for both pg and PGlite.
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === '23505';
}

export type AuthDeps = {
  db: Db;
  sessions: SessionService;
  throttle: LoginThrottle;
  cookie: CookiePolicy;
  protectedKeys: ProtectedKeys;
  confirmPassword: PasswordConfirmation;
};

export function createAuthRoutes(deps: AuthDeps) {
  const { db, sessions, throttle, cookie, protectedKeys } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  /** Ends sessions and records it, together: a logout is either both or neither. */
  async function endSessions(
    c: Context<AppEnv>,
    userId: string,
    event: 'auth.logout' | 'auth.logout_all',
    end: (tx: Db) => Promise<void>,
  ): Promise<void> {
    await db.transaction(async (tx) => {
      await end(tx);
      await appendAudit(tx, { userId, event, outcome: 'ok', ...auditContext(c) });
    });
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/signup',
      tags: ['auth'],
      summary: 'Create an account and sign in',
      request: { body: jsonBody(Credentials) },
      responses: {
        201: jsonResponse(UserResponse, 'Account created; the session cookie is set'),
        409: jsonResponse(z.object({}), 'Email already registered'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const passwordHash = await hashPassword(password);
      const created = await db
        .transaction(async (tx) => {
          const [user] = await tx
            .insert(users)
            .values({ email: email.toLowerCase(), passwordHash })
            .returning();
          if (!user) throw new Error('insert returned no row');
          await appendAudit(tx, { userId: user.id, event: 'auth.signup', outcome: 'ok', ...auditContext(c) });
          const session = await sessions.start(user.id, tx);
          return { user, session };
        })
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) {
            throw new AppError('auth.email_taken', 'An account with this email already exists.', {
              field: 'email',
            });
          }
          throw error;
        });
      setSessionCookie(c, cookie, created.session.token, created.session.expiresAt);
      return c.json({ user: toUser({ ...created.user, plan: created.user.planId }) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/login',
      tags: ['auth'],
      summary: 'Sign in; always issues a new session token',
      request: { body: jsonBody(LoginCredentials) },
      responses: {
        200: jsonResponse(UserResponse, 'Signed in; the session cookie is set'),
        429: jsonResponse(
          z.object({}),
          'Too many failed attempts for this account or address (see Retry-After)',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const { ip } = c.get('client');
      await throttle.assertAllowed(email, ip);
      const [user] = await db
        .select()
        .from(users)
        .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
      if (!user) {
        await burnPasswordCheck(password);
        await throttle.recordFailure(email, ip);
        await appendAudit(db, { userId: null, event: 'auth.login', outcome: 'failed', ...auditContext(c) });
        throw invalidCredentials();
      }
      if (!(await verifyPassword(user.passwordHash, password))) {
        await throttle.recordFailure(email, ip);
        await appendAudit(db, {
          userId: user.id,
          event: 'auth.login',
          outcome: 'failed',
          ...auditContext(c),
        });
        throw invalidCredentials();
      }
      await throttle.recordSuccess(email);
      // Session fixation: whatever session the browser presented is ended, and a fresh token issued.
      const presented = c.get('session');
      const session = await db.transaction(async (tx) => {
        if (presented) await sessions.end(presented.tokenHash, tx);
        await appendAudit(tx, { userId: user.id, event: 'auth.login', outcome: 'ok', ...auditContext(c) });
        return sessions.start(user.id, tx);
      });
      // False after a password reset: protected credentials then stay locked, which their use reports.
      await protectedKeys.unlock(
        { tokenHash: hashSessionToken(session.token), userId: user.id, expiresAt: session.expiresAt },
        password,
      );
      setSessionCookie(c, cookie, session.token, session.expiresAt);
      return c.json({ user: toUser({ ...user, plan: user.planId }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/logout',
      tags: ['auth'],
      summary: 'End this session',
      responses: { 204: { description: 'Signed out (also when no session was live)' }, ...errorResponses },
    }),
    async (c) => {
      const session = c.get('session');
      if (session) {
        protectedKeys.forget(session.tokenHash);
        await endSessions(c, session.user.id, 'auth.logout', (tx) => sessions.end(session.tokenHash, tx));
      }
      clearSessionCookie(c, cookie);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/logout-all',
      tags: ['auth'],
      summary: 'End every session of this account, everywhere',
      responses: { 204: { description: 'All sessions ended' }, ...errorResponses },
    }),
    async (c) => {
      const session = requireSession(c);
      protectedKeys.forgetUser(session.user.id);
      await endSessions(c, session.user.id, 'auth.logout_all', (tx) => sessions.endAll(session.user.id, tx));
      clearSessionCookie(c, cookie);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/reauthenticate',
      tags: ['auth'],
      summary:
        'Prove the password again before a sensitive change (step-up); unlocks password-protected credentials',
      request: { body: jsonBody(z.object({ password: z.string().min(1).max(256) })) },
      responses: { 204: { description: 'Confirmed' }, ...errorResponses },
    }),
    async (c) => {
      const { password } = c.req.valid('json');
      const session = await deps.confirmPassword(c, password);
      await sessions.markReauthenticated(session.tokenHash);
      await protectedKeys.unlock(
        { tokenHash: session.tokenHash, userId: session.user.id, expiresAt: session.expiresAt },
        password,
      );
      await appendAudit(db, {
        userId: session.user.id,
        event: 'auth.reauthenticated',
        outcome: 'ok',
        ...auditContext(c),
      });
      return c.body(null, 204);
    },
  );

  return app;
}
