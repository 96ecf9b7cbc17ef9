import { createHash, randomBytes } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';

const { connectionTickets } = schema;

const hash = (ticket: string) => createHash('sha256').update(ticket).digest();

/**
 * Browsers cannot put headers on a WebSocket upgrade, so an authenticated request first obtains a
 * ticket: single use, short-lived, bound to one user and one instance, stored only hashed.
 */
export function createTickets(deps: { db: Db; ttlMs: number; now?: () => Date }) {
  const { db, ttlMs } = deps;
  const now = deps.now ?? (() => new Date());

  async function issue(userId: string, instanceId: string): Promise<{ ticket: string; expiresAt: Date }> {
    const at = now();
    await db.delete(connectionTickets).where(lt(connectionTickets.expiresAt, at));
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = new Date(at.getTime() + ttlMs);
    await db.insert(connectionTickets).values({ tokenHash: hash(ticket), userId, instanceId, expiresAt });
    return { ticket, expiresAt };
  }

  /**
   * Spends a ticket, whoever presents it: a ticket seen once (in a URL, a log) is worthless after.
   * Returns whom and what it was issued for, if it was still valid.
   */
  async function redeem(ticket: string): Promise<{ userId: string; instanceId: string } | null> {
    const [row] = await db
      .delete(connectionTickets)
      .where(eq(connectionTickets.tokenHash, hash(ticket)))
      .returning();
    return row && row.expiresAt > now() ? { userId: row.userId, instanceId: row.instanceId } : null;
  }

  return { issue, redeem };
}

export type Tickets = ReturnType<typeof createTickets>;
