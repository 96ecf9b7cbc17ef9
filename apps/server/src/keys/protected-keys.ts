import { eq } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { generateDataKey, isVaultError, unwrapKeyWithPassword, wrapKeyWithPassword } from '@claw/vault';

const { users } = schema;

type Held = { userId: string; key: Buffer; expiresAt: number };

/**
 * The optional password-protected data key. It is stored only wrapped by a key derived from the
 * user's password, and unwrapped only into this process's memory for the sessions that proved the
 * password. A restart forgets it (sign in again); a password reset would lose it for good.
 */
export function createProtectedKeys(deps: { db: Db; now?: () => number }) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const held = new Map<string, Held>();
  const slot = (tokenHash: Buffer) => tokenHash.toString('hex');

  function hold(tokenHash: Buffer, userId: string, key: Buffer, expiresAt: Date): void {
    held.set(slot(tokenHash), { userId, key, expiresAt: expiresAt.getTime() });
  }

  async function wrapped(userId: string, tx: Db = db): Promise<Buffer | null> {
    const [row] = await tx
      .select({ wrapped: users.passwordWrappedKey })
      .from(users)
      .where(eq(users.id, userId));
    return row?.wrapped ?? null;
  }

  /**
   * At login: if the user has a protected key, unwrap it with the password they just proved. False
   * when it cannot be (the password was reset, not changed): those credentials stay locked for good.
   */
  async function unlock(
    session: { tokenHash: Buffer; userId: string; expiresAt: Date },
    password: string,
  ): Promise<boolean> {
    const envelope = await wrapped(session.userId);
    if (!envelope) return true;
    try {
      hold(
        session.tokenHash,
        session.userId,
        await unwrapKeyWithPassword(envelope, password, session.userId),
        session.expiresAt,
      );
      return true;
    } catch (error) {
      if (isVaultError(error, 'vault.tampered')) return false;
      throw error;
    }
  }

  /** The session's unwrapped key, or null when the session never proved the password since the key existed. */
  function keyFor(tokenHash: Buffer): Buffer | null {
    const entry = held.get(slot(tokenHash));
    if (!entry) return null;
    if (entry.expiresAt <= now()) {
      forget(tokenHash);
      return null;
    }
    return entry.key;
  }

  /** The key for protected credentials, created on first use with the password the user just typed. */
  async function ensure(
    session: { tokenHash: Buffer; userId: string; expiresAt: Date },
    password: string,
  ): Promise<Buffer> {
    const existing = keyFor(session.tokenHash);
    if (existing) return existing;
    const envelope = await wrapped(session.userId);
    if (envelope) {
      const key = (await unlock(session, password)) ? keyFor(session.tokenHash) : null;
      if (!key)
        throw new AppError(
          'credential.locked',
          'Your protected credentials cannot be unlocked with this password.',
        );
      return key;
    }
    const key = generateDataKey();
    await db
      .update(users)
      .set({ passwordWrappedKey: await wrapKeyWithPassword(key, password, session.userId) })
      .where(eq(users.id, session.userId));
    hold(session.tokenHash, session.userId, key, session.expiresAt);
    return key;
  }

  /** On a password change: the same key, wrapped under the new password. */
  async function rewrap(
    tx: Db,
    userId: string,
    currentPassword: string,
    newPassword: string,
  ): Promise<Buffer | null> {
    const envelope = await wrapped(userId, tx);
    if (!envelope) return null;
    const key = await unwrapKeyWithPassword(envelope, currentPassword, userId);
    await tx
      .update(users)
      .set({ passwordWrappedKey: await wrapKeyWithPassword(key, newPassword, userId) })
      .where(eq(users.id, userId));
    return key;
  }

  function forget(tokenHash: Buffer): void {
    const entry = held.get(slot(tokenHash));
    entry?.key.fill(0);
    held.delete(slot(tokenHash));
  }

  function forgetUser(userId: string): void {
    for (const [key, entry] of held) {
      if (entry.userId !== userId) continue;
      entry.key.fill(0);
      held.delete(key);
    }
  }

  return { unlock, keyFor, ensure, rewrap, hold, forget, forgetUser };
}

export type ProtectedKeys = ReturnType<typeof createProtectedKeys>;
