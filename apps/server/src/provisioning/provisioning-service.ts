import { randomUUID } from 'node:crypto';
import { and, eq, notInArray } from 'drizzle-orm';
import type { PgBoss } from 'pg-boss';
import { AppError } from '@claw/core';
import { renderCloudInit, type BootstrapProvider } from '@claw/bootstrap';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import type { Size } from '@claw/providers';
import { appendAudit } from '../audit/audit-log.ts';
import type { ActiveSession } from '../auth/session-service.ts';
import type { CloudEndpoints, ProvisioningSettings } from '../config.ts';
import type { CredentialRow, CredentialService, WorkPurpose } from '../credentials/credential-service.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import { provisioningQueue, type ProvisioningJob } from './job-queue.ts';
import type { InstanceStatus } from './instance-status.ts';
import { createCloudReconciler } from './cloud-reconciler.ts';
import { imageFor, provisionerFor } from './provisioner-factory.ts';
import { createWorkflow } from './workflow.ts';
import { provisionedAgentUrl } from '../instances/agent-address.ts';
import { previewUserData } from './user-data-preview.ts';

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
  allowPrivateNetworks: boolean;
}) {
  const { db, boss, settings } = deps;
  const deadlines = { createMs: 10 * 60_000, bootMs: 15 * 60_000, registerMs: 30 * 60_000 };

  /** For background work: refuses a password-protected connection (decryptForWork). */
  async function provisionerForCredential(credential: CredentialRow, region: string, purpose: WorkPurpose) {
    const secret = await deps.credentials.decryptForWork(credential, purpose);
    const externalId =
      secret.provider === 'aws' ? await deps.credentials.externalIdFor(credential.userId) : null;
    return provisionerFor(secret, { externalId, region }, deps.clouds);
  }

  async function provisionerForRow(row: typeof instances.$inferSelect) {
    if (!row.cloudCredentialId)
      throw new AppError('credential.unavailable', 'This instance has no cloud connection.');
    const [credential] = await db
      .select()
      .from(credentialsTable)
      .where(eq(credentialsTable.id, row.cloudCredentialId));
    if (!credential)
      throw new AppError('credential.unavailable', 'The cloud connection of this instance is gone.');
    return provisionerForCredential(credential, row.region ?? '', 'provisioning');
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
    agentUrlAt: async (address) =>
      (await provisionedAgentUrl(address, settings.agentPort, deps.allowPrivateNetworks)).origin,
    gatewayReady: async (row) => {
      const { client } = await deps.instances.connect(row);
      return (await client.health().catch(() => null))?.gateway.ready ?? false;
    },
    allowedSources: settings.egressAddresses,
    deadlines,
    pollMs: settings.pollMs,
  });

  const cloud = createCloudReconciler({
    db,
    log: deps.log,
    provisionerFor: (credential) => provisionerForCredential(credential, deps.clouds.aws.region, 'reconcile'),
    defaultRegions: [deps.clouds.aws.region],
    // A create step, retries included, is over by its deadline: a VM older than that is no work in flight.
    graceMs: deadlines.createMs,
  });

  /**
   * The size as `options` offered it (looked up the same way, so its price is the one the user saw): it must
   * exist and be offered in the region. Neither value is echoed back: the field is named instead.
   */
  async function offeredSize(credential: CredentialRow, region: string, slug: string): Promise<Size> {
    const provisioner = await provisionerForCredential(credential, deps.clouds.aws.region, 'provisioning');
    const size = (await provisioner.listSizes()).find((s) => s.slug === slug);
    if (!size) {
      throw new AppError('request.invalid', 'This cloud account offers no such size.', { field: 'size' });
    }
    if (!size.regions.includes(region)) {
      throw new AppError('request.invalid', 'This size is not offered in this region.', { field: 'region' });
    }
    return size;
  }

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
    const size = await offeredSize(credential, input.region, input.size);
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
        // A snapshot for the dashboard, never updated: the provider's bill is what counts.
        priceMonthlyCents: Math.round(size.priceMonthly * 100),
        priceCurrency: size.currency,
        priceIsEstimate: size.priceIsEstimate,
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

  async function act(
    session: ActiveSession,
    id: string,
    action: 'stop' | 'start' | 'reboot' | 'destroy',
    audit: AuditContext,
  ) {
    const row = await deps.instances.get(session.user.id, id);
    if (row.provider === 'adopted' || !actionable[action].includes(row.status)) {
      throw new AppError('request.invalid', `Cannot ${action} an instance that is ${row.status}.`, {
        field: 'action',
      });
    }
    // The status moves at once (destroy: the first of its two phases), so the dashboard shows it straight away.
    const during = { stop: 'stopping', start: 'starting', reboot: 'rebooting', destroy: 'destroying' }[
      action
    ];
    await db.update(instances).set({ status: during, updatedAt: new Date() }).where(eq(instances.id, id));
    await appendAudit(db, {
      userId: session.user.id,
      event: `instance.${during}` as `instance.${InstanceStatus}`,
      outcome: 'ok',
      instanceId: id,
      ...audit,
    });
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
    return previewUserData(provider, { publicUrl: deps.publicUrl, provisioning: settings });
  }

  /** Runs the jobs; a worker killed mid-step is safe: the next run of the job resumes the step. */
  async function work(): Promise<void> {
    // Several at once: a destroy must not wait behind another instance's (or its own) long create.
    await boss.work<ProvisioningJob>(
      provisioningQueue,
      { batchSize: 1, localConcurrency: 4 },
      async ([job]) => {
        if (!job) return;
        const { instanceId, action } = job.data;
        if (action === 'create') return workflow.create(instanceId);
        if (action === 'destroy') return workflow.destroy(instanceId);
        return workflow.power(instanceId, action);
      },
    );
  }

  const stuckReasons: Partial<Record<string, string>> = {
    requested: 'Provisioning never started.',
    creating: 'The cloud provider did not create the server in time.',
    booting: 'The server did not boot in time.',
    registering: "The server booted but its agent never became ready (see the server's console log).",
    stopping: 'The server did not stop in time.',
    starting: 'The server did not start in time.',
    rebooting: 'The server did not come back from the reboot in time.',
  };
  const resumeAs: Record<string, ProvisioningJob['action']> = {
    destroying: 'destroy',
    stopping: 'stop',
    starting: 'start',
    rebooting: 'reboot',
  };

  let sweeping: Promise<void> | undefined;
  /** One cloud sweep at a time (cloud-reconciler.ts); a pass that finds one running joins it. */
  function sweepClouds(): Promise<void> {
    sweeping ??= cloud
      .sweep()
      .catch((error: unknown) => deps.log.warn({ event: 'reconcile.failed', ...describeError(error) }))
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  }

  /**
   * At start-up and every few minutes: an instance past its step's deadline fails with a clear reason
   * (a destroy is retried instead); every other instance mid-flight gets its job again, so a job lost
   * with a crashed process resumes at once (the workflow runs one copy of a step per instance). Then
   * the clouds are swept in the background: a slow provider must hold up neither start-up nor this pass.
   */
  async function reconcile(): Promise<void> {
    const pending = await db
      .select()
      .from(instances)
      .where(
        and(
          notInArray(instances.status, ['ready', 'failed', 'stopped', 'destroyed']),
          notInArray(instances.provider, ['adopted']),
        ),
      );
    const at = new Date();
    for (const row of pending) {
      const late = row.deadlineAt !== null && row.deadlineAt < at;
      const reason = stuckReasons[row.status];
      if (late && reason) {
        // Only from the status seen: a step that finished meanwhile is not failed after the fact.
        const failed = await db
          .update(instances)
          .set({ status: 'failed', failureReason: reason, deadlineAt: null })
          .where(and(eq(instances.id, row.id), eq(instances.status, row.status)))
          .returning({ id: instances.id });
        if (failed.length === 0) continue;
        await appendAudit(db, {
          userId: row.userId,
          event: 'instance.failed',
          outcome: 'failed',
          instanceId: row.id,
          requestId: null,
          clientIp: null,
          clientAgent: null,
        });
        continue;
      }
      await enqueue({ instanceId: row.id, action: resumeAs[row.status] ?? 'create' });
    }
    void sweepClouds();
  }

  return { deploy, act, options, preview, work, reconcile, sweepClouds };
}

export type Provisioning = ReturnType<typeof createProvisioning>;
