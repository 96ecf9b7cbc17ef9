import { createHash } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';

const { loginThrottle } = schema;

export type ThrottlePolicy = { windowMs: number; maxPerAccount: number; maxPerIp: number };

export function accountKey(email: string): string {
  return `account:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
}

/**
 * Counts failed logins per account and per client address in fixed windows, in the database so
 * that the limit holds across restarts and across API processes.
 */
export function createLoginThrottle(deps: { db: Db; policy: ThrottlePolicy; now?: () => Date }) {
  const { db, policy } = deps;
  const now = deps.now ?? (() => new Date());
  const limits = (key: string) => (key.startsWith('ip:') ? policy.maxPerIp : policy.maxPerAccount);

  async function assertAllowed(email: string, ip: string | null): Promise<void> {
    const keys = [accountKey(email), ...(ip ? [`ip:${ip}`] : [])];
    const rows = await db.select().from(loginThrottle).where(inArray(loginThrottle.key, keys));
    const at = now().getTime();
    for (const row of rows) {
      const endsAt = row.windowStartedAt.getTime() + policy.windowMs;
      if (endsAt > at && row.failures >= limits(row.key)) {
        throw new AppError('auth.throttled', 'Too many failed sign-in attempts. Try again later.', {
          retryAfterSeconds: Math.ceil((endsAt - at) / 1000),
        });
      }
    }
  }

  async function recordFailure(email: string, ip: string | null): Promise<void> {
    const at = now();
    const windowStart = new Date(at.getTime() - policy.windowMs);
    for (const key of [accountKey(email), ...(ip ? [`ip:${ip}`] : [])]) {
      const expired = sql`${loginThrottle.windowStartedAt} <= ${windowStart}`;
      await db
        .insert(loginThrottle)
        .values({ key, failures: 1, windowStartedAt: at })
        .onConflictDoUpdate({
          target: loginThrottle.key,
          set: {
            failures: sql`case when ${expired} then 1 else ${loginThrottle.failures} + 1 end`,
            windowStartedAt: sql`case when ${expired} then ${at} else ${loginThrottle.windowStartedAt} end`,
          },
        });
    }
  }

  /** A successful login clears the account's counter; the address keeps its own. */
  async function recordSuccess(email: string): Promise<void> {
    await db.delete(loginThrottle).where(inArray(loginThrottle.key, [accountKey(email)]));
  }

  return { assertAllowed, recordFailure, recordSuccess };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
