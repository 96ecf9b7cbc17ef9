import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { appendAudit, listAudit } from '../audit/audit-log.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { SessionService } from '../auth/session-service.ts';
import {
  Password,
  errorResponses,
  jsonBody,
  jsonResponse,
  toUser,
  UserResponse,
} from '../http/api-schemas.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import {
  clearSessionCookie,
  requireSession,
  setSessionCookie,
  type CookiePolicy,
} from '../http/session-cookie.ts';
import { validationHook } from '../http/validation.ts';

const { users } = schema;

const AuditEventSchema = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  event: z.string(),
  outcome: z.string(),
  requestId: z.string().nullable(),
  client: z.object({ ip: z.string().nullable(), userAgent: z.string().nullable() }),
});

export type AccountDeps = {
  db: Db;
  sessions: SessionService;
  throttle: LoginThrottle;
  cookie: CookiePolicy;
  /** Told when every session of a user has ended, so live connections of that user can be closed. */
  onSessionsEnded?: (userId: string) => void;
};

export function createAccountRoutes(deps: AccountDeps) {
  const { db, sessions, throttle, cookie } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  /** Re-checks the password of the signed-in user; failures count towards the login throttle. */
  async function confirmPassword(c: Parameters<typeof requireSession>[0], password: string) {
    const session = requireSession(c);
    const { ip } = c.get('client');
    await throttle.assertAllowed(session.user.email, ip);
    const [user] = await db.select().from(users).where(eq(users.id, session.user.id));
    if (!user || !(await verifyPassword(user.passwordHash, password))) {
      await throttle.recordFailure(session.user.email, ip);
      throw new AppError('auth.invalid_credentials', 'The password is incorrect.', { field: 'password' });
    }
    return session;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me',
      tags: ['account'],
      summary: 'The signed-in user',
      responses: { 200: jsonResponse(UserResponse, 'The signed-in user'), ...errorResponses },
    }),
    (c) => c.json({ user: toUser(requireSession(c).user) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/me/password',
      tags: ['account'],
      summary: 'Change the password; every other session ends and this one gets a new token',
      request: {
        body: jsonBody(z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password })),
      },
      responses: { 204: { description: 'Password changed' }, ...errorResponses },
    }),
    async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const session = await confirmPassword(c, currentPassword).catch((error: unknown) => {
        if (error instanceof AppError && error.field === 'password') {
          throw new AppError(error.code, error.message, { field: 'currentPassword' });
        }
        throw error;
      });
      const passwordHash = await hashPassword(newPassword);
      const fresh = await db.transaction(async (tx) => {
        await tx
          .update(users)
          .set({ passwordHash, passwordChangedAt: new Date() })
          .where(eq(users.id, session.user.id));
        await sessions.endAll(session.user.id, tx);
        await appendAudit(tx, {
          userId: session.user.id,
          event: 'account.password_changed',
          outcome: 'ok',
          ...auditContext(c),
        });
        return sessions.start(session.user.id, tx);
      });
      deps.onSessionsEnded?.(session.user.id);
      setSessionCookie(c, cookie, fresh.token, fresh.expiresAt);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/me',
      tags: ['account'],
      summary: 'Delete the account and every row that belongs to it',
      request: { body: jsonBody(z.object({ password: z.string().min(1).max(256) })) },
      responses: { 204: { description: 'Account deleted' }, ...errorResponses },
    }),
    async (c) => {
      const { password } = c.req.valid('json');
      const session = await confirmPassword(c, password);
      await db.transaction(async (tx) => {
        // Sessions, instances, credentials and the user's audit chain go with the user (ON DELETE CASCADE).
        await tx.delete(users).where(eq(users.id, session.user.id));
        await appendAudit(tx, { userId: null, event: 'account.deleted', outcome: 'ok', ...auditContext(c) });
      });
      deps.onSessionsEnded?.(session.user.id);
      clearSessionCookie(c, cookie);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me/audit',
      tags: ['account'],
      summary: "The signed-in user's own security events, newest first",
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z
            .string()
            .regex(/^\d{1,18}$/)
            .optional(),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ events: z.array(AuditEventSchema), nextCursor: z.string().nullable() }),
          'One page of events',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const { limit, cursor } = c.req.valid('query');
      return c.json(await listAudit(db, session.user.id, limit, cursor ? Number(cursor) : null), 200);
    },
  );

  return app;
}
