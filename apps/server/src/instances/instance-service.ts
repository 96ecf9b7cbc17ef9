import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { and, count, eq, ne } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { decryptCredential, encryptCredential } from '@claw/vault';
import { appendAudit } from '../audit/audit-log.ts';
import type { UserKeys } from '../keys/user-keys.ts';
import { createAgentClient, type AgentClient } from './agent-client.ts';
import { checkAgentUrl } from './agent-address.ts';
import { fetchPeerCertificate, fingerprintOf, normaliseFingerprint } from './agent-tls.ts';

const { instances, plans, users } = schema;

export type InstanceRow = typeof instances.$inferSelect;
type AuditContext = { requestId: string; clientIp: string | null; clientAgent: string | null };

export type AdoptInput = { name: string; agentUrl: string; fingerprint: string; registrationCode: string };

// What the instance credential is bound to in its ciphertext (the vault's associated data).
const credentialContext = (userId: string, instanceId: string) => ({
  userId,
  credentialId: instanceId,
  provider: 'agent',
  purpose: 'instance-credential',
});

export function createInstanceService(deps: { db: Db; userKeys: UserKeys; allowPrivateNetworks: boolean }) {
  const { db, userKeys } = deps;

  /** The user's instance, or not_found, also when it exists but belongs to someone else. */
  async function get(userId: string, id: string): Promise<InstanceRow> {
    const [row] = await db
      .select()
      .from(instances)
      .where(and(eq(instances.id, id), eq(instances.userId, userId)));
    if (!row) throw new AppError('not_found', 'No such instance.');
    return row;
  }

  function list(userId: string): Promise<InstanceRow[]> {
    return db.select().from(instances).where(eq(instances.userId, userId)).orderBy(instances.createdAt);
  }

  async function assertBelowPlanLimit(userId: string): Promise<void> {
    const [plan] = await db
      .select({ max: plans.maxInstances })
      .from(users)
      .innerJoin(plans, eq(plans.id, users.planId))
      .where(eq(users.id, userId));
    // A destroyed instance no longer counts: its server is gone.
    const [owned] = await db
      .select({ n: count() })
      .from(instances)
      .where(and(eq(instances.userId, userId), ne(instances.status, 'destroyed')));
    if (plan && (owned?.n ?? 0) >= plan.max) {
      throw new AppError('instance.limit_reached', `Your plan allows ${plan.max} instance(s).`);
    }
  }

  /**
   * Enrols an agent: checks the fingerprint against the certificate the agent presents before sending
   * it anything, then registers a fresh instance credential with its one-time code over TLS pinned to
   * that certificate. Returns what the instance row must hold to reach it from now on.
   */
  async function enrolAgent(input: {
    userId: string;
    instanceId: string;
    url: URL;
    fingerprint: string;
    code: string;
  }) {
    const certificatePem = await fetchPeerCertificate(input.url);
    if (fingerprintOf(new X509Certificate(certificatePem).raw) !== input.fingerprint) {
      throw new AppError(
        'instance.fingerprint_mismatch',
        'The server at that URL presents a different certificate than the fingerprint given.',
        { field: 'fingerprint' },
      );
    }
    const credential = randomBytes(32).toString('base64url');
    const dataKey = await userKeys.dataKeyFor(input.userId);
    let ciphertext: Buffer;
    try {
      ciphertext = encryptCredential(
        dataKey,
        Buffer.from(credential),
        credentialContext(input.userId, input.instanceId),
      );
    } finally {
      dataKey.fill(0);
    }
    const agentUrl = input.url.origin;
    const health = await createAgentClient({
      url: agentUrl,
      certificatePem,
      fingerprint: input.fingerprint,
    }).register(input.code, credential);
    return {
      gatewayReady: health.gateway.ready,
      fields: {
        agentUrl,
        agentFingerprint: input.fingerprint,
        agentCertificate: new X509Certificate(certificatePem).raw,
        agentVersion: health.agentVersion,
        openclawVersion: health.gateway.version,
        credentialCiphertext: ciphertext,
      },
    };
  }

  /** Adopts a server the user runs themselves, from the URL, fingerprint and code its agent printed. */
  async function adopt(userId: string, input: AdoptInput, audit: AuditContext): Promise<InstanceRow> {
    await assertBelowPlanLimit(userId);
    const fingerprint = normaliseFingerprint(input.fingerprint);
    if (!fingerprint) {
      throw new AppError(
        'instance.fingerprint_invalid',
        'The fingerprint must be 32 bytes of SHA-256 in hex.',
        {
          field: 'fingerprint',
        },
      );
    }
    const url = await checkAgentUrl(input.agentUrl, deps.allowPrivateNetworks);
    const id = randomUUID();
    const enrolled = await enrolAgent({
      userId,
      instanceId: id,
      url,
      fingerprint,
      code: input.registrationCode,
    });
    return db.transaction(async (tx) => {
      const [row] = await tx
        .insert(instances)
        .values({
          id,
          userId,
          name: input.name,
          provider: 'adopted',
          status: enrolled.gatewayReady ? 'ready' : 'registering',
          ...enrolled.fields,
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      await appendAudit(tx, { userId, event: 'instance.adopted', outcome: 'ok', instanceId: id, ...audit });
      return row;
    });
  }

  async function remove(userId: string, id: string, audit: AuditContext): Promise<void> {
    const row = await get(userId, id);
    // Forgetting a server we created while it still runs would leave it unmanaged in the user's account.
    if (row.provider !== 'adopted' && row.status !== 'destroyed') {
      throw new AppError(
        'request.invalid',
        'Destroy this instance first; removing it would leave its server running.',
      );
    }
    await db.transaction(async (tx) => {
      await tx.delete(instances).where(and(eq(instances.id, id), eq(instances.userId, userId)));
      await appendAudit(tx, { userId, event: 'instance.removed', outcome: 'ok', instanceId: id, ...audit });
    });
  }

  /** A client for the instance's agent, and the credential it requires (decrypted only for this use). */
  async function connect(row: InstanceRow): Promise<{ client: AgentClient; credential: string }> {
    if (!row.agentUrl || !row.agentCertificate || !row.agentFingerprint || !row.credentialCiphertext) {
      throw new AppError('instance.agent_unreachable', 'The instance has no registered agent yet.');
    }
    const dataKey = await userKeys.dataKeyFor(row.userId);
    try {
      const credential = decryptCredential(
        dataKey,
        row.credentialCiphertext,
        credentialContext(row.userId, row.id),
      );
      return {
        client: createAgentClient({
          url: row.agentUrl,
          certificatePem: new X509Certificate(row.agentCertificate).toString(),
          fingerprint: row.agentFingerprint,
        }),
        credential: credential.toString('utf8'),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  async function health(userId: string, id: string) {
    const row = await get(userId, id);
    const { client } = await connect(row);
    return client.health();
  }

  return { get, list, adopt, enrolAgent, assertBelowPlanLimit, remove, connect, health };
}

export type InstanceService = ReturnType<typeof createInstanceService>;
