// Support access from the control plane's side (docs/support-access.md): the user opens and closes the door,
// the instance's agent enforces it. We keep metadata only: the grant (who, until when, which principal) and
// audit events derived from the instance's session log. The log itself is relayed to the user, never stored.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import { appendAudit, type AuditEvent } from '../audit/audit-log.ts';
import { readJson } from '../instances/agent-client.ts';
import type { InstanceRow, InstanceService } from '../instances/instance-service.ts';

const { supportGrants } = schema;
type GrantRow = typeof supportGrants.$inferSelect;
type AgentConnection = Awaited<ReturnType<InstanceService['connect']>>;
type AuditContext = { requestId: string; clientIp: string | null; clientAgent: string | null };

export const maxGrantSeconds = 24 * 60 * 60;
export const minGrantSeconds = 60;
// Session events can reach the log shortly after a grant ends (the kill, the recorder's last words).
const lateEventsMs = 10 * 60_000;
const syncPage = 500;
const syncPageBytes = 16 * 1024 * 1024;

export type GrantInput = { durationSeconds: number; admin: boolean };

export type GrantView = {
  id: string;
  principal: string;
  admin: boolean;
  notAfter: string;
  createdAt: string;
  state: 'active' | 'revoked' | 'expired' | 'gone';
  endedAt: string | null;
};

export type SupportState = {
  /** Whether this control plane has a support CA configured at all. */
  available: boolean;
  /** The fingerprint of the CA key an instance is asked to trust (`SHA256:…`, as ssh-keygen -l shows it). */
  caFingerprint: string | null;
  grant: GrantView | null;
  /** Live from the instance; null when it could not be asked. */
  liveSessions: number | null;
};

/** The agent's session-log events that become audit events (metadata only: the ids, never the content). */
const auditedTypes: Record<string, AuditEvent> = {
  'session.start': 'support.session_started',
  'session.end': 'support.session_ended',
  'grant.expired': 'support.expired',
  'grant.failed': 'support.failed',
};

type LogEntry = { seq: number; type: string; grantId?: unknown };

/** Ends a grant that is still open; false when it had already ended (so its end is recorded once). */
async function closeGrant(db: Db, grantId: string, reason: 'expired' | 'revoked' | 'gone'): Promise<boolean> {
  const closed = await db
    .update(supportGrants)
    .set({ endedAt: new Date(), endReason: reason })
    .where(and(eq(supportGrants.id, grantId), isNull(supportGrants.endedAt)))
    .returning({ id: supportGrants.id });
  return closed.length > 0;
}

export function caFingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(' ')[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function stateOf(row: GrantRow, now: Date): GrantView['state'] {
  if (row.endReason === 'revoked' || row.endReason === 'gone') return row.endReason;
  return row.endReason === 'expired' || row.notAfter <= now ? 'expired' : 'active';
}

const view = (row: GrantRow, now: Date): GrantView => ({
  id: row.id,
  principal: row.principal,
  admin: row.admin,
  notAfter: row.notAfter.toISOString(),
  createdAt: row.createdAt.toISOString(),
  state: stateOf(row, now),
  endedAt: row.endedAt?.toISOString() ?? null,
});

/** Turns the agent's answer into ours; the agent's own error codes are documented in docs/support-access.md. */
async function agentAnswer(response: IncomingMessage, limit?: number): Promise<Record<string, unknown>> {
  const body = (await readJson(response, limit)) as { error?: { code?: unknown } } & Record<string, unknown>;
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return body;
  const code = typeof body.error?.code === 'string' ? body.error.code : '';
  if (status === 404 && code === 'not_found') {
    throw new AppError('not_found', 'The instance has no such support grant.');
  }
  if (code === 'grant_active') {
    throw new AppError('support.grant_active', 'Support access is already open on this instance.');
  }
  if (code === 'support_user_missing' || code === 'sudo_unavailable') {
    throw new AppError(
      'support.not_enabled',
      'This server is not set up for support access (no support account or no sudo).',
    );
  }
  throw new AppError('support.failed', `The instance could not do it (${code || `HTTP ${status}`}).`);
}

export function createSupportService(deps: {
  db: Db;
  instances: InstanceService;
  caPublicKey: string | undefined;
  log: Logger;
  now?: () => Date;
}) {
  const { db, instances, log } = deps;
  const now = deps.now ?? (() => new Date());

  function requireCa(): string {
    if (!deps.caPublicKey) {
      throw new AppError('support.unavailable', 'Support access is not offered by this Claw Cloud.');
    }
    return deps.caPublicKey;
  }

  async function latestGrant(instanceId: string): Promise<GrantRow | null> {
    const [row] = await db
      .select()
      .from(supportGrants)
      .where(eq(supportGrants.instanceId, instanceId))
      .orderBy(desc(supportGrants.createdAt))
      .limit(1);
    return row ?? null;
  }

  /**
   * Reads the instance's session log from where we stopped (the cursor on its latest grant) and appends one audit event per session start/end
   * and grant expiry. The cursor moves under a row lock, so two control planes never audit an entry twice.
   */
  async function syncLog(instance: InstanceRow, { client, credential }: AgentConnection): Promise<void> {
    const grant = await latestGrant(instance.id);
    if (!grant) return;
    const response = await client.call(
      credential,
      'GET',
      `/support/log?from=${grant.auditedSeq}&limit=${syncPage}`,
    );
    const { entries } = (await agentAnswer(response, syncPageBytes)) as { entries?: LogEntry[] };
    await db.transaction(async (tx) => {
      const [locked] = await tx
        .select()
        .from(supportGrants)
        .where(eq(supportGrants.id, grant.id))
        .for('update');
      if (!locked) return;
      let cursor = locked.auditedSeq;
      for (const entry of entries ?? []) {
        if (!Number.isInteger(entry.seq) || entry.seq < cursor) continue;
        cursor = entry.seq + 1;
        const event = auditedTypes[entry.type];
        if (!event) continue;
        const subjectId = typeof entry.grantId === 'string' ? entry.grantId : locked.id;
        // An expiry is audited once, by whoever closes the grant first: this log entry or the sweep.
        if (event === 'support.expired' && !(await closeGrant(tx, subjectId, 'expired'))) continue;
        await appendAudit(tx, {
          userId: locked.userId,
          event,
          outcome: event === 'support.failed' ? 'failed' : 'ok',
          instanceId: locked.instanceId,
          subjectId,
          requestId: null,
          clientIp: null,
          clientAgent: null,
        });
      }
      await tx.update(supportGrants).set({ auditedSeq: cursor }).where(eq(supportGrants.id, locked.id));
    });
  }

  /**
   * Best effort: the instance may be off or unreachable; sshd enforces the grant's end regardless. A caller that
   * already holds a connection to the agent passes it (the credential is decrypted once per request).
   */
  async function trySync(instance: InstanceRow, agent?: AgentConnection): Promise<void> {
    try {
      await syncLog(instance, agent ?? (await instances.connect(instance)));
    } catch (error) {
      log.warn({ event: 'support.sync_failed', instanceId: instance.id, ...describeError(error) });
    }
  }

  /** A grant past its end that the agent has not (yet) reported expired is closed here, once. */
  async function closeIfExpired(grant: GrantRow): Promise<void> {
    if (grant.endedAt || grant.notAfter > now()) return;
    await db.transaction(async (tx) => {
      if (!(await closeGrant(tx, grant.id, 'expired'))) return;
      await appendAudit(tx, {
        userId: grant.userId,
        event: 'support.expired',
        outcome: 'ok',
        instanceId: grant.instanceId,
        subjectId: grant.id,
        requestId: null,
        clientIp: null,
        clientAgent: null,
      });
    });
  }

  async function grant(
    userId: string,
    instanceId: string,
    input: GrantInput,
    audit: AuditContext,
  ): Promise<GrantView> {
    const caPublicKey = requireCa();
    const instance = await instances.get(userId, instanceId);
    const agent = await instances.connect(instance);
    const { client, credential } = agent;
    // The new grant's log cursor continues the instance's: its events are not the earlier grant's.
    await trySync(instance, agent);
    const auditedSeq = (await latestGrant(instance.id))?.auditedSeq ?? 0;
    const opened = (await agentAnswer(
      await client.call(credential, 'POST', '/support/grants', {
        caPublicKey,
        durationSeconds: input.durationSeconds,
        admin: input.admin,
      }),
    )) as { grantId: string; principal: string; notAfter: string };
    const notAfter = new Date(opened.notAfter);
    const row = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(supportGrants)
        .values({
          id: opened.grantId,
          instanceId: instance.id,
          userId,
          principal: opened.principal,
          admin: input.admin,
          notAfter,
          auditedSeq,
        })
        .returning();
      if (!inserted) throw new Error('insert returned no row');
      await appendAudit(tx, {
        userId,
        event: 'support.granted',
        outcome: 'ok',
        instanceId: instance.id,
        subjectId: inserted.id,
        untilAt: notAfter,
        ...audit,
      });
      return inserted;
    });
    log.info({ event: 'support.granted', userId, instanceId: instance.id });
    return view(row, now());
  }

  async function revoke(
    userId: string,
    instanceId: string,
    grantId: string,
    audit: AuditContext,
  ): Promise<GrantView> {
    const instance = await instances.get(userId, instanceId);
    const [row] = await db
      .select()
      .from(supportGrants)
      .where(and(eq(supportGrants.id, grantId), eq(supportGrants.instanceId, instance.id)));
    if (!row) throw new AppError('not_found', 'No such support grant.');
    if (row.endedAt) return view(row, now());
    const agent = await instances.connect(instance);
    const { client, credential } = agent;
    try {
      await agentAnswer(await client.call(credential, 'DELETE', `/support/grants/${row.id}`));
    } catch (error) {
      // The agent no longer has it (expired meanwhile, or its state was reset): the door is closed either way.
      if (!(error instanceof AppError && error.code === 'not_found')) throw error;
    }
    await db.transaction(async (tx) => {
      if (!(await closeGrant(tx, row.id, 'revoked'))) return;
      await appendAudit(tx, {
        userId,
        event: 'support.revoked',
        outcome: 'ok',
        instanceId: instance.id,
        subjectId: row.id,
        ...audit,
      });
    });
    const [ended = row] = await db.select().from(supportGrants).where(eq(supportGrants.id, row.id));
    log.info({ event: 'support.revoked', userId, instanceId: instance.id });
    await trySync(instance, agent);
    return view(ended, now());
  }

  async function state(userId: string, instanceId: string): Promise<SupportState> {
    const instance = await instances.get(userId, instanceId);
    let grant = await latestGrant(instance.id);
    let liveSessions: number | null = null;
    let agent: AgentConnection | undefined;
    try {
      if (instance.credentialCiphertext) {
        agent = await instances.connect(instance);
        const live = await agentAnswer(await agent.client.call(agent.credential, 'GET', '/support/grants'));
        liveSessions = typeof live.liveSessions === 'number' ? live.liveSessions : null;
      }
    } catch (error) {
      log.warn({ event: 'support.state_failed', instanceId: instance.id, ...describeError(error) });
    }
    if (grant) {
      if (agent) await trySync(instance, agent);
      await closeIfExpired(grant);
      grant = await latestGrant(instance.id);
    }
    return {
      available: deps.caPublicKey !== undefined,
      caFingerprint: deps.caPublicKey ? caFingerprint(deps.caPublicKey) : null,
      grant: grant ? view(grant, now()) : null,
      liveSessions,
    };
  }

  /** The instance's session log, straight from the agent to the caller: we neither parse nor keep it. */
  async function logStream(
    userId: string,
    instanceId: string,
    from: number,
    limit: number,
  ): Promise<IncomingMessage> {
    const instance = await instances.get(userId, instanceId);
    const { client, credential } = await instances.connect(instance);
    const response = await client.call(credential, 'GET', `/support/log?from=${from}&limit=${limit}`);
    if (response.statusCode !== 200) await agentAnswer(response);
    return response;
  }

  /** Audits what happened on instances with open (or just ended) grants, and closes grants past their end. */
  async function sweep(): Promise<void> {
    const recent = await db
      .selectDistinct({ instanceId: supportGrants.instanceId })
      .from(supportGrants)
      .where(
        or(
          isNull(supportGrants.endedAt),
          gt(supportGrants.endedAt, new Date(now().getTime() - lateEventsMs)),
        ),
      );
    for (const { instanceId } of recent) {
      // The log is the instance's, so is the cursor: it moves on the instance's latest grant only.
      const grant = await latestGrant(instanceId);
      if (!grant) continue;
      const [instance] = await db.select().from(schema.instances).where(eq(schema.instances.id, instanceId));
      if (!instance || instance.status === 'destroyed') {
        await closeGrant(db, grant.id, 'gone');
        continue;
      }
      if (instance.credentialCiphertext) await trySync(instance);
      const [fresh] = await db.select().from(supportGrants).where(eq(supportGrants.id, grant.id));
      if (fresh) await closeIfExpired(fresh);
    }
  }

  return { grant, revoke, state, logStream, sweep };
}

export type SupportService = ReturnType<typeof createSupportService>;
