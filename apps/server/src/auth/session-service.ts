import { eq } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import { hashSessionToken, newSessionToken } from './session-tokens.ts';

const { sessions, users } = schema;

export type SessionUser = { id: string; email: string; plan: string; createdAt: Date };
export type ActiveSession = {
  tokenHash: Buffer;
  user: SessionUser;
  expiresAt: Date;
  reauthenticatedAt: Date;
};

export type SessionPolicy = { idleMs: number; absoluteMs: number };

// Refreshing last_seen_at on every request would turn each read into a write; a minute's slack
// on a 30-minute idle timeout is immaterial.
const touchEveryMs = 60_000;

export function createSessionService(deps: { db: Db; policy: SessionPolicy; now?: () => Date }) {
  const { db, policy } = deps;
  const now = deps.now ?? (() => new Date());

  async function start(userId: string, tx: Db = db): Promise<{ token: string; expiresAt: Date }> {
    const token = newSessionToken();
    const at = now();
    const expiresAt = new Date(at.getTime() + policy.absoluteMs);
    await tx
      .insert(sessions)
      .values({ tokenHash: hashSessionToken(token), userId, createdAt: at, lastSeenAt: at, expiresAt });
    return { token, expiresAt };
  }

  /** The session behind a token, if it is neither idle past the limit nor past its absolute end. */
  async function resolve(token: string): Promise<ActiveSession | null> {
    const tokenHash = hashSessionToken(token);
    const [row] = await db
      .select({
        lastSeenAt: sessions.lastSeenAt,
        expiresAt: sessions.expiresAt,
        reauthenticatedAt: sessions.reauthenticatedAt,
        user: { id: users.id, email: users.email, plan: users.planId, createdAt: users.createdAt },
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.tokenHash, tokenHash));
    if (!row) return null;
    const at = now();
    if (row.expiresAt <= at || row.lastSeenAt.getTime() + policy.idleMs <= at.getTime()) {
      await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
      return null;
    }
    if (at.getTime() - row.lastSeenAt.getTime() > touchEveryMs) {
      await db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.tokenHash, tokenHash));
    }
    return { tokenHash, user: row.user, expiresAt: row.expiresAt, reauthenticatedAt: row.reauthenticatedAt };
  }

  async function end(tokenHash: Buffer, tx: Db = db): Promise<void> {
    await tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
  }

  async function endAll(userId: string, tx: Db = db): Promise<void> {
    await tx.delete(sessions).where(eq(sessions.userId, userId));
  }

  /** Records that the session's user just proved their password again (step-up). */
  async function markReauthenticated(tokenHash: Buffer): Promise<void> {
    await db.update(sessions).set({ reauthenticatedAt: now() }).where(eq(sessions.tokenHash, tokenHash));
  }

  return { start, resolve, end, endAll, markReauthenticated };
}

export type SessionService = ReturnType<typeof createSessionService>;
