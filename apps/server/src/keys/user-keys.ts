import { eq, lt } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import { createUserDataKey, type KeyProvider } from '@claw/vault';

const { userKeys } = schema;

/**
 * Each user's random data key, stored only wrapped by the master key ring. Deleting the row (or
 * the user) makes every ciphertext under it unrecoverable, which a derived key could not offer.
 */
export function createUserKeys(deps: { db: Db; keys: KeyProvider }) {
  const { db, keys } = deps;

  /** The user's unwrapped data key, created on first use. The caller zeroes it when done. */
  async function dataKeyFor(userId: string, tx: Db = db): Promise<Buffer> {
    const [existing] = await tx.select().from(userKeys).where(eq(userKeys.userId, userId));
    if (existing) return keys.unwrapDataKey(existing.wrappedKey, userId);
    const { dataKey, wrappedDataKey } = await createUserDataKey(keys, userId);
    const inserted = await tx
      .insert(userKeys)
      .values({ userId, wrappedKey: wrappedDataKey, keyVersion: keys.keyVersionOf(wrappedDataKey) })
      .onConflictDoNothing()
      .returning({ userId: userKeys.userId });
    if (inserted.length > 0) return dataKey;
    // Another request created it first; use theirs so that only one key ever encrypts this user's data.
    dataKey.fill(0);
    return dataKeyFor(userId, tx);
  }

  /**
   * Re-wraps every data key still under an older master key, one row at a time: killed midway and
   * run again, it carries on where it stopped; run when done, it changes nothing.
   */
  async function rewrapAll(): Promise<number> {
    let done = 0;
    for (;;) {
      const [row] = await db
        .select()
        .from(userKeys)
        .where(lt(userKeys.keyVersion, keys.currentVersion()))
        .limit(1);
      if (!row) return done;
      const dataKey = await keys.unwrapDataKey(row.wrappedKey, row.userId);
      try {
        const wrapped = await keys.wrapDataKey(dataKey, row.userId);
        await db
          .update(userKeys)
          .set({ wrappedKey: wrapped, keyVersion: keys.keyVersionOf(wrapped) })
          .where(eq(userKeys.userId, row.userId));
      } finally {
        dataKey.fill(0);
      }
      done++;
    }
  }

  return { dataKeyFor, rewrapAll };
}

export type UserKeys = ReturnType<typeof createUserKeys>;
