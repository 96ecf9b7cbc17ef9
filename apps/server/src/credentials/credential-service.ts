import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { generateExternalId } from '@claw/providers';
import { decryptCredential, encryptCredential } from '@claw/vault';
import { appendAudit } from '../audit/audit-log.ts';
import type { ActiveSession } from '../auth/session-service.ts';
import type { ProtectedKeys } from '../keys/protected-keys.ts';
import type { UserKeys } from '../keys/user-keys.ts';
import type { CloudVerifier } from './cloud-verifier.ts';
import { lastFour, type CredentialSecret } from './credential-secret.ts';

const { credentials, users } = schema;

export type CredentialRow = typeof credentials.$inferSelect;
type AuditContext = { requestId: string; clientIp: string | null; clientAgent: string | null };
/** Why background work opens a connection: a step the user started, or the periodic reconcile sweep. */
export type WorkPurpose = 'provisioning' | 'reconcile';

const sweepUseRecordedEveryMs = 60 * 60_000;

const context = (row: { userId: string; id: string; provider: string }) => ({
  userId: row.userId,
  credentialId: row.id,
  provider: row.provider,
  purpose: 'cloud-credential',
});

export function createCredentialService(deps: {
  db: Db;
  userKeys: UserKeys;
  protectedKeys: ProtectedKeys;
  verify: CloudVerifier;
}) {
  const { db, userKeys, protectedKeys } = deps;

  /** The user's AWS ExternalId: generated once, never editable, never shared with another user. */
  async function externalIdFor(userId: string): Promise<string> {
    const [row] = await db.select({ id: users.awsExternalId }).from(users).where(eq(users.id, userId));
    if (row?.id) return row.id;
    const fresh = generateExternalId();
    // Only if still unset: two racing requests end up with the same, first-written id.
    await db
      .update(users)
      .set({ awsExternalId: fresh })
      .where(and(eq(users.id, userId), isNull(users.awsExternalId)));
    const [again] = await db.select({ id: users.awsExternalId }).from(users).where(eq(users.id, userId));
    return again?.id ?? fresh;
  }

  async function get(userId: string, id: string): Promise<CredentialRow> {
    const [row] = await db
      .select()
      .from(credentials)
      .where(and(eq(credentials.id, id), eq(credentials.userId, userId)));
    if (!row) throw new AppError('not_found', 'No such credential.');
    return row;
  }

  function list(userId: string): Promise<CredentialRow[]> {
    return db.select().from(credentials).where(eq(credentials.userId, userId)).orderBy(credentials.createdAt);
  }

  /** The key a credential is (to be) encrypted under; the caller zeroes it unless it is a held protected key. */
  async function keyFor(
    session: ActiveSession,
    passwordProtected: boolean,
  ): Promise<{ key: Buffer; release(): void }> {
    if (!passwordProtected) {
      const key = await userKeys.dataKeyFor(session.user.id);
      return { key, release: () => key.fill(0) };
    }
    const key = protectedKeys.keyFor(session.tokenHash);
    if (!key) {
      throw new AppError(
        'credential.locked',
        'This credential is protected by your password: sign in again in this browser to use it.',
      );
    }
    return { key, release: () => {} };
  }

  async function decrypt(session: ActiveSession, row: CredentialRow): Promise<CredentialSecret> {
    if (!row.ciphertext) throw new AppError('credential.unavailable', 'This credential holds no secret.');
    const { key, release } = await keyFor(session, row.passwordProtected);
    try {
      return JSON.parse(
        decryptCredential(key, row.ciphertext, context(row)).toString('utf8'),
      ) as CredentialSecret;
    } finally {
      release();
    }
  }

  /**
   * For background work with no session at hand: only credentials under the user's data key qualify; a
   * password-protected one needs its owner signed in, so background work refuses it. Each use is in the
   * user's activity (`credential.used`), a periodic sweep's at most hourly (recordUse).
   */
  async function decryptForWork(row: CredentialRow, purpose: WorkPurpose): Promise<CredentialSecret> {
    if (!row.ciphertext || row.passwordProtected) {
      throw new AppError(
        'credential.locked',
        'This connection is protected by your password and cannot be used by background work.',
      );
    }
    const key = await userKeys.dataKeyFor(row.userId);
    let secret: CredentialSecret;
    try {
      secret = JSON.parse(
        decryptCredential(key, row.ciphertext, context(row)).toString('utf8'),
      ) as CredentialSecret;
    } finally {
      key.fill(0);
    }
    await recordUse(row, purpose);
    return secret;
  }

  /**
   * A step the user started (provisioning) is recorded every time. The reconciler opens every swept
   * connection every pass (5 minutes by default), forever: recorded each time, that would bury the
   * user's own activity under identical rows and tell them nothing new. So a sweep records the use only
   * when the connection has not been used for an hour: the activity still shows, hour by hour, that
   * background work holds and uses the credential, and `last_used_at` is at most an hour behind. The
   * condition is in the update itself, so concurrent sweeps (several processes) record one use between them.
   */
  async function recordUse(row: CredentialRow, purpose: WorkPurpose): Promise<void> {
    const at = new Date();
    const recorded = await db
      .update(credentials)
      .set({ lastUsedAt: at })
      .where(
        and(
          eq(credentials.id, row.id),
          purpose === 'reconcile'
            ? or(
                isNull(credentials.lastUsedAt),
                lt(credentials.lastUsedAt, new Date(at.getTime() - sweepUseRecordedEveryMs)),
              )
            : undefined,
        ),
      )
      .returning({ id: credentials.id });
    if (purpose === 'reconcile' && recorded.length === 0) return;
    await appendAudit(db, {
      userId: row.userId,
      event: 'credential.used',
      outcome: 'ok',
      requestId: null,
      clientIp: null,
      clientAgent: null,
    });
  }

  async function recordVerification(
    session: ActiveSession,
    row: CredentialRow,
    secret: CredentialSecret,
    audit: AuditContext,
  ) {
    const externalId = secret.provider === 'aws' ? await externalIdFor(session.user.id) : null;
    const result = await deps.verify(secret, externalId).catch(() => ({
      ok: false as const,
      reason: 'The provider could not be reached to verify this credential; try again later.',
    }));
    const at = new Date();
    const [updated] = await db
      .update(credentials)
      .set({
        verificationStatus: result.ok ? 'verified' : 'failed',
        verificationReason: result.ok ? null : result.reason.slice(0, 300),
        verifiedAt: at,
        lastUsedAt: at,
      })
      .where(eq(credentials.id, row.id))
      .returning();
    await appendAudit(db, {
      userId: session.user.id,
      event: 'credential.verified',
      outcome: result.ok ? 'ok' : 'failed',
      ...audit,
    });
    return { row: updated ?? row, result };
  }

  /**
   * Stores what the user typed, encrypted, before verifying it: a failed verification marks the
   * credential unverified with the reason and loses nothing.
   */
  async function add(
    session: ActiveSession,
    input: { label: string; secret: CredentialSecret; passwordProtected: boolean },
    audit: AuditContext,
  ) {
    const id = randomUUID();
    const { key, release } = await keyFor(session, input.passwordProtected);
    let ciphertext: Buffer;
    try {
      const plaintext = Buffer.from(JSON.stringify(input.secret));
      ciphertext = encryptCredential(
        key,
        plaintext,
        context({ userId: session.user.id, id, provider: input.secret.provider }),
      );
      plaintext.fill(0);
    } finally {
      release();
    }
    const row = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(credentials)
        .values({
          id,
          userId: session.user.id,
          provider: input.secret.provider,
          label: input.label,
          last4: lastFour(input.secret),
          ciphertext,
          passwordProtected: input.passwordProtected,
        })
        .returning();
      if (!inserted) throw new Error('insert returned no row');
      await appendAudit(tx, { userId: session.user.id, event: 'credential.added', outcome: 'ok', ...audit });
      return inserted;
    });
    return recordVerification(session, row, input.secret, audit);
  }

  async function verify(session: ActiveSession, id: string, audit: AuditContext) {
    const row = await get(session.user.id, id);
    return recordVerification(session, row, await decrypt(session, row), audit);
  }

  /** Deleting the row destroys the only copy of its ciphertext. */
  async function remove(userId: string, id: string, audit: AuditContext): Promise<void> {
    await get(userId, id);
    await db.transaction(async (tx) => {
      await tx.delete(credentials).where(and(eq(credentials.id, id), eq(credentials.userId, userId)));
      await appendAudit(tx, { userId, event: 'credential.deleted', outcome: 'ok', ...audit });
    });
  }

  return { externalIdFor, list, get, add, verify, remove, decrypt, decryptForWork };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
