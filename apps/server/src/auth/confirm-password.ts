import type { Context } from 'hono';
import { eq } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import type { AppEnv } from '../http/context.ts';
import { requireSession } from '../http/session-cookie.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { verifyPassword } from './password.ts';
import type { ActiveSession } from './session-service.ts';

/**
 * Re-checks the signed-in user's password before a sensitive action; failures count towards the
 * same throttle as logins, so a stolen session cannot guess the password.
 */
export function createPasswordConfirmation(deps: { db: Db; throttle: LoginThrottle }) {
  return async function confirm(
    c: Context<AppEnv>,
    password: string,
    field = 'password',
  ): Promise<ActiveSession> {
    const session = requireSession(c);
    const { ip } = c.get('client');
    await deps.throttle.assertAllowed(session.user.email, ip);
    const [user] = await deps.db.select().from(schema.users).where(eq(schema.users.id, session.user.id));
    if (!user || !(await verifyPassword(user.passwordHash, password))) {
      await deps.throttle.recordFailure(session.user.email, ip);
      throw new AppError('auth.invalid_credentials', 'The password is incorrect.', { field });
    }
    return session;
  };
}

export type PasswordConfirmation = ReturnType<typeof createPasswordConfirmation>;
