import { createHash } from 'node:crypto';
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import type { InstanceStatus } from '../provisioning/instance-status.ts';

const { auditLog, users } = schema;

export type AuditEvent =
  | 'auth.signup'
  | 'auth.login'
  | 'auth.logout'
  | 'auth.logout_all'
  | 'account.password_changed'
  | 'account.deleted'
  | 'instance.adopted'
  | 'instance.removed'
  | `instance.${InstanceStatus}`
  | 'proxy.connection'
  | 'auth.reauthenticated'
  | 'credential.added'
  | 'credential.verified'
  | 'credential.deleted'
  | 'credential.used'
  // The reconciler's actions in the user's cloud account (cloud-reconciler.ts): what, and for which
  // instance, never the provider's resource ids.
  | 'cloud.vm_adopted'
  | 'cloud.vm_deleted'
  | 'cloud.firewall_deleted'
  | 'support.granted'
  | 'support.revoked'
  | 'support.expired'
  | 'support.failed'
  | 'support.session_started'
  | 'support.session_ended';

export type AuditEntry = {
  userId: string | null;
  event: AuditEvent;
  outcome: 'ok' | 'failed';
  requestId: string | null;
  clientIp: string | null;
  clientAgent: string | null;
  /** Chat-connection metadata, for proxy.connection events: sizes, counts and codes, never content. */
  connection?: ConnectionMetadata;
  instanceId?: string | null;
  /** Support events: the grant, and until when it holds (granted). */
  subjectId?: string | null;
  untilAt?: Date | null;
};

export type ConnectionMetadata = {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  closeCode: number;
  latencyMs: number | null;
};

const genesis: Buffer = Buffer.alloc(32);
// Events without an account share one chain; this advisory lock serialises its appends.
const anonymousChainLock = 0x636c6177;

type Chained = Omit<typeof auditLog.$inferSelect, 'id' | 'prevHash' | 'hash'>;

// Every column of a row, in a fixed order, goes into its hash: changing any of them breaks the chain.
const hashedFields = [
  'requestId',
  'clientIp',
  'clientAgent',
  'instanceId',
  'bytesIn',
  'bytesOut',
  'messagesIn',
  'messagesOut',
  'closeCode',
  'latencyMs',
] as const satisfies readonly (keyof Chained)[];
// Columns added later join the hash only when set, so the rows written before them keep their hashes.
const laterFields = ['subjectId', 'untilAt'] as const satisfies readonly (keyof Chained)[];

function chainHash(prevHash: Buffer, row: Chained): Buffer {
  const canonical = JSON.stringify([
    row.userId,
    row.seq,
    row.at.toISOString(),
    row.event,
    row.outcome,
    ...hashedFields.map((field) => row[field]),
    ...(laterFields.some((field) => row[field] !== null) ? laterFields.map((field) => row[field]) : []),
  ]);
  return createHash('sha256').update(prevHash).update(canonical).digest();
}

/**
 * Appends an event to its user's hash chain. Each row commits to the one before it, and the
 * user row holds the chain's head, so an edited, removed or truncated history is detectable.
 */
export async function appendAudit(db: Db, entry: AuditEntry, now = new Date()): Promise<void> {
  await db.transaction(async (tx) => {
    let prevSeq = 0;
    let prevHash = genesis;
    if (entry.userId) {
      const [head] = await tx
        .select({ seq: users.auditSeq, hash: users.auditHead })
        .from(users)
        .where(eq(users.id, entry.userId))
        .for('update');
      if (!head) throw new Error('audit event for a user that does not exist');
      prevSeq = head.seq;
      prevHash = head.hash ?? genesis;
    } else {
      await tx.execute(sql`select pg_advisory_xact_lock(${anonymousChainLock})`);
      const [last] = await tx
        .select({ seq: auditLog.seq, hash: auditLog.hash })
        .from(auditLog)
        .where(isNull(auditLog.userId))
        .orderBy(desc(auditLog.seq))
        .limit(1);
      if (last) {
        prevSeq = last.seq;
        prevHash = last.hash;
      }
    }
    const { connection, ...rest } = entry;
    const row: Chained = {
      ...rest,
      instanceId: entry.instanceId ?? null,
      subjectId: entry.subjectId ?? null,
      untilAt: entry.untilAt ?? null,
      bytesIn: connection?.bytesIn ?? null,
      bytesOut: connection?.bytesOut ?? null,
      messagesIn: connection?.messagesIn ?? null,
      messagesOut: connection?.messagesOut ?? null,
      closeCode: connection?.closeCode ?? null,
      latencyMs: connection?.latencyMs ?? null,
      seq: prevSeq + 1,
      at: now,
    };
    const hash = chainHash(prevHash, row);
    await tx.insert(auditLog).values({ ...row, prevHash, hash });
    if (entry.userId) {
      await tx.update(users).set({ auditSeq: row.seq, auditHead: hash }).where(eq(users.id, entry.userId));
    }
  });
}

export type AuditPage = {
  events: {
    id: string;
    at: string;
    event: string;
    outcome: string;
    requestId: string | null;
    client: { ip: string | null; userAgent: string | null };
    /** Until when a support grant holds (support.granted). */
    until: string | null;
  }[];
  nextCursor: string | null;
};

/** A user's own events, newest first; the cursor is the last id seen. */
export async function listAudit(
  db: Db,
  userId: string,
  limit: number,
  cursor: number | null,
): Promise<AuditPage> {
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.userId, userId), cursor === null ? undefined : lt(auditLog.id, cursor)))
    .orderBy(desc(auditLog.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    events: page.map((row) => ({
      id: String(row.id),
      at: row.at.toISOString(),
      event: row.event,
      outcome: row.outcome,
      requestId: row.requestId,
      client: { ip: row.clientIp, userAgent: row.clientAgent },
      until: row.untilAt?.toISOString() ?? null,
    })),
    nextCursor: rows.length > limit && page.length > 0 ? String(page[page.length - 1]?.id) : null,
  };
}

export type ChainVerdict = { ok: true; length: number } | { ok: false; brokenAtSeq: number; reason: string };

/** Recomputes a user's chain from the first event to the head recorded on the user row. */
export async function verifyAuditChain(db: Db, userId: string): Promise<ChainVerdict> {
  const [head] = await db
    .select({ seq: users.auditSeq, hash: users.auditHead })
    .from(users)
    .where(eq(users.id, userId));
  if (!head) return { ok: false, brokenAtSeq: 0, reason: 'no such user' };
  const rows = await db.select().from(auditLog).where(eq(auditLog.userId, userId)).orderBy(auditLog.seq);
  let prevHash = genesis;
  let expectedSeq = 1;
  for (const row of rows) {
    if (row.seq !== expectedSeq) return { ok: false, brokenAtSeq: expectedSeq, reason: 'missing event' };
    if (!row.prevHash.equals(prevHash)) return { ok: false, brokenAtSeq: row.seq, reason: 'link broken' };
    if (!chainHash(prevHash, row).equals(row.hash))
      return { ok: false, brokenAtSeq: row.seq, reason: 'event altered' };
    prevHash = row.hash;
    expectedSeq++;
  }
  if (head.seq !== rows.length || !(head.hash ?? genesis).equals(prevHash)) {
    return { ok: false, brokenAtSeq: rows.length + 1, reason: 'newest events removed' };
  }
  return { ok: true, length: rows.length };
}
