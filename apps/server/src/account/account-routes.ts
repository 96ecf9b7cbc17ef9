import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import { appendAudit, listAudit } from '../audit/audit-log.ts';
import type { PasswordConfirmation } from '../auth/confirm-password.ts';
import { hashPassword } from '../auth/password.ts';
import { hashSessionToken } from '../auth/session-tokens.ts';
import type { ProtectedKeys } from '../keys/protected-keys.ts';
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
  until: z.iso.datetime().nullable(),
});

export type AccountDeps = {
  db: Db;
  sessions: SessionService;
  confirmPassword: PasswordConfirmation;
  protectedKeys: ProtectedKeys;
  cookie: CookiePolicy;
};

export function createAccountRoutes(deps: AccountDeps) {
  const { db, sessions, cookie, protectedKeys } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

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
      const session = await deps.confirmPassword(c, currentPassword, 'currentPassword');
      const passwordHash = await hashPassword(newPassword);
      const { fresh, protectedKey } = await db.transaction(async (tx) => {
        await tx
          .update(users)
          .set({ passwordHash, passwordChangedAt: new Date() })
          .where(eq(users.id, session.user.id));
        // The password-protected key follows the password; nothing protected is lost by a change.
        const protectedKey = await protectedKeys.rewrap(tx, session.user.id, currentPassword, newPassword);
        await sessions.endAll(session.user.id, tx);
        await appendAudit(tx, {
          userId: session.user.id,
          event: 'account.password_changed',
          outcome: 'ok',
          ...auditContext(c),
        });
        return { fresh: await sessions.start(session.user.id, tx), protectedKey };
      });
      protectedKeys.forgetUser(session.user.id);
      if (protectedKey)
        protectedKeys.hold(hashSessionToken(fresh.token), session.user.id, protectedKey, fresh.expiresAt);
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
      const session = await deps.confirmPassword(c, password);
      await db.transaction(async (tx) => {
        // Sessions, instances, credentials and the user's audit chain go with the user (ON DELETE CASCADE).
        await tx.delete(users).where(eq(users.id, session.user.id));
        await appendAudit(tx, { userId: null, event: 'account.deleted', outcome: 'ok', ...auditContext(c) });
      });
      protectedKeys.forgetUser(session.user.id);
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
