import { randomUUID } from 'node:crypto';
import { and, eq, notInArray } from 'drizzle-orm';
import type { PgBoss } from 'pg-boss';
import { AppError } from '@claw/core';
import { renderCloudInit, renderCloudInitPreview, type BootstrapProvider } from '@claw/bootstrap';
import { schema, type Db } from '@claw/db';
import type { Logger } from '@claw/logger';
import { appendAudit } from '../audit/audit-log.ts';
import type { ActiveSession } from '../auth/session-service.ts';
import type { CloudEndpoints, ProvisioningSettings } from '../config.ts';
import type { CredentialService } from '../credentials/credential-service.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import { provisioningQueue, type ProvisioningJob } from './job-queue.ts';
import { imageFor, provisionerFor } from './provisioner-factory.ts';
import { createWorkflow } from './workflow.ts';

const { instances, credentials: credentialsTable } = schema;
type AuditContext = { requestId: string; clientIp: string | null; clientAgent: string | null };

const provisionable = new Set<BootstrapProvider>(['digitalocean', 'aws', 'hetzner']);
const actionable: Record<'stop' | 'start' | 'reboot' | 'destroy', string[]> = {
  stop: ['ready'],
  start: ['stopped'],
  reboot: ['ready'],
  destroy: ['ready', 'failed', 'stopped', 'registering', 'booting', 'creating', 'requested', 'destroying'],
};

export function createProvisioning(deps: {
  db: Db;
  boss: PgBoss;
  log: Logger;
  credentials: CredentialService;
  instances: InstanceService;
  clouds: CloudEndpoints;
  settings: ProvisioningSettings;
  /** The control plane's public https origin, which new servers call back to. */
  publicUrl: string | undefined;
}) {
  const { db, boss, settings } = deps;

  async function provisionerForRow(row: typeof instances.$inferSelect) {
    if (!row.cloudCredentialId)
      throw new AppError('credential.unavailable', 'This instance has no cloud connection.');
    const [credential] = await db
      .select()
      .from(credentialsTable)
      .where(eq(credentialsTable.id, row.cloudCredentialId));
    if (!credential)
      throw new AppError('credential.unavailable', 'The cloud connection of this instance is gone.');
    const secret = await deps.credentials.decryptForWork(credential);
    const externalId = secret.provider === 'aws' ? await deps.credentials.externalIdFor(row.userId) : null;
    return provisionerFor(secret, { externalId, region: row.region ?? '' }, deps.clouds);
  }

  function agentPackage() {
    if (!settings.agentPackage) {
      throw new AppError(
        'credential.unavailable',
        'No agent package is configured (CLAW_AGENT_PACKAGE, CLAW_AGENT_PACKAGE_INTEGRITY).',
      );
    }
    return settings.agentPackage;
  }

  const workflow = createWorkflow({
    db,
    log: deps.log,
    provisionerFor: provisionerForRow,
    userData: (row, registrationCode) =>
      renderCloudInit({
        provider: row.provider as BootstrapProvider,
        controlPlaneUrl: deps.publicUrl ?? '',
        instanceId: row.id,
        registrationCode,
        agentPackage: agentPackage(),
      }),
    image: (row) => imageFor(row.provider, settings.awsImageId),
    allowedSources: settings.egressAddresses,
    deadlines: { createMs: 10 * 60_000, bootMs: 15 * 60_000, registerMs: 30 * 60_000 },
    pollMs: settings.pollMs,
  });

  async function enqueue(job: ProvisioningJob): Promise<void> {
    await boss.send(provisioningQueue, job, { singletonKey: `${job.instanceId}:${job.action}` });
  }

  /** One click: records the instance and hands the rest to the durable workflow. */
  async function deploy(
    session: ActiveSession,
    input: { name: string; credentialId: string; region: string; size: string },
    audit: AuditContext,
  ) {
    if (!deps.publicUrl?.startsWith('https://')) {
      throw new AppError(
        'credential.unavailable',
        'Deploying needs CLAW_PUBLIC_URL (https): new servers call back to it.',
      );
    }
    agentPackage();
    const credential = await deps.credentials.get(session.user.id, input.credentialId);
    if (!provisionable.has(credential.provider as BootstrapProvider)) {
      throw new AppError('credential.unavailable', `Provisioning on ${credential.provider} comes later.`, {
        field: 'credentialId',
      });
    }
    if (credential.passwordProtected) {
      throw new AppError(
        'credential.locked',
        'A password-protected connection cannot be used by background work.',
        {
          field: 'credentialId',
        },
      );
    }
    await deps.instances.assertBelowPlanLimit(session.user.id);
    const id = randomUUID();
    const [row] = await db
      .insert(instances)
      .values({
        id,
        userId: session.user.id,
        name: input.name,
        provider: credential.provider,
        region: input.region,
        size: input.size,
        status: 'requested',
        cloudCredentialId: credential.id,
      })
      .returning();
    await appendAudit(db, {
      userId: session.user.id,
      event: 'instance.requested',
      outcome: 'ok',
      instanceId: id,
      ...audit,
    });
    await enqueue({ instanceId: id, action: 'create' });
    return row;
  }

  async function act(session: ActiveSession, id: string, action: 'stop' | 'start' | 'reboot' | 'destroy') {
    const row = await deps.instances.get(session.user.id, id);
    if (row.provider === 'adopted' || !actionable[action].includes(row.status)) {
      throw new AppError('request.invalid', `Cannot ${action} an instance that is ${row.status}.`, {
        field: 'action',
      });
    }
    await enqueue({ instanceId: id, action });
  }

  async function options(session: ActiveSession, credentialId: string) {
    const credential = await deps.credentials.get(session.user.id, credentialId);
    const secret = await deps.credentials.decrypt(session, credential);
    const externalId =
      secret.provider === 'aws' ? await deps.credentials.externalIdFor(session.user.id) : null;
    const provisioner = provisionerFor(secret, { externalId, region: deps.clouds.aws.region }, deps.clouds);
    const [regions, sizes] = await Promise.all([provisioner.listRegions(), provisioner.listSizes()]);
    return { regions, sizes };
  }

  function preview(provider: BootstrapProvider): string {
    return renderCloudInitPreview({
      provider,
      controlPlaneUrl: deps.publicUrl?.startsWith('https://') ? deps.publicUrl : 'https://claw-cloud.example',
      // Until an agent package is configured, the preview shows the document's shape with a zero pin.
      agentPackage: settings.agentPackage ?? {
        name: '@claw-cloud/agent',
        version: '0.0.0',
        integrity: `sha512-${'A'.repeat(86)}==`,
      },
    });
  }

  /** Runs the jobs; a worker killed mid-step is safe: the next run of the job resumes the step. */
  async function work(): Promise<void> {
    await boss.work<ProvisioningJob>(provisioningQueue, { batchSize: 1 }, async ([job]) => {
      if (!job) return;
      const { instanceId, action } = job.data;
      if (action === 'create') return workflow.create(instanceId);
      if (action === 'destroy') return workflow.destroy(instanceId);
      return workflow.power(instanceId, action);
    });
  }

  /** At start-up: any instance mid-flight gets its job again (a job lost with a crashed process, for one). */
  async function resume(): Promise<void> {
    const pending = await db
      .select({ id: instances.id, status: instances.status })
      .from(instances)
      .where(
        and(
          notInArray(instances.status, ['ready', 'failed', 'stopped', 'destroyed']),
          notInArray(instances.provider, ['adopted']),
        ),
      );
    const resumeAs: Record<string, ProvisioningJob['action']> = {
      destroying: 'destroy',
      stopping: 'stop',
      starting: 'start',
      rebooting: 'reboot',
    };
    for (const row of pending)
      await enqueue({ instanceId: row.id, action: resumeAs[row.status] ?? 'create' });
  }

  return { deploy, act, options, preview, work, resume };
}

export type Provisioning = ReturnType<typeof createProvisioning>;
