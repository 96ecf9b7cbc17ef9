import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import { isProviderError, type Provisioner, type Vm, type VmRef } from '@claw/providers';
import { appendAudit } from '../audit/audit-log.ts';
import type { InstanceStatus } from './instance-status.ts';
import { stepLocksFor } from './step-locks.ts';
import { withRetry } from './with-retry.ts';

const { instances } = schema;
type InstanceRow = typeof instances.$inferSelect;

export type WorkflowDeps = {
  db: Db;
  log: Logger;
  /** The provider client for this instance's cloud connection (decrypts the credential for this use). */
  provisionerFor(row: InstanceRow): Promise<Provisioner>;
  /** The cloud-init user-data carrying this instance's one-time registration code. */
  userData(row: InstanceRow, registrationCode: string): string;
  image(row: InstanceRow): string;
  /** The agent's URL at a VM's new address (a started AWS instance gets a new public IP). */
  agentUrlAt(address: string): Promise<string>;
  /** Whether the registered agent reports its gateway ready (false while unreachable). */
  gatewayReady(row: InstanceRow): Promise<boolean>;
  allowedSources: readonly string[];
  deadlines: { createMs: number; bootMs: number; registerMs: number };
  pollMs: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
};

export const registrationTtlMs = 60 * 60_000;
export const hashCode = (code: string) => createHash('sha256').update(code).digest();

/**
 * The provisioning state machine. Every step first persists what it is about to depend on (the cloud
 * resource id before any wait), and every step can be re-run after a crash: create looks for a VM of
 * this instance before making one, destroy treats "gone" as done.
 */
export function createWorkflow(deps: WorkflowDeps) {
  const { db, log } = deps;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function load(id: string): Promise<InstanceRow | null> {
    const [row] = await db.select().from(instances).where(eq(instances.id, id));
    return row ?? null;
  }

  async function transition(
    row: InstanceRow,
    status: InstanceStatus,
    extra: Partial<typeof instances.$inferInsert> = {},
    deadlineMs?: number,
  ): Promise<InstanceRow> {
    const at = now();
    // Only from the status this step saw: a destroy clicked meanwhile wins over a create or power step
    // that finishes later, and the step then carries on from the fresh row (or stops).
    const [updated] = await db
      .update(instances)
      .set({
        status,
        updatedAt: at,
        deadlineAt: deadlineMs === undefined ? null : new Date(at.getTime() + deadlineMs),
        ...extra,
      })
      .where(and(eq(instances.id, row.id), eq(instances.status, row.status)))
      .returning();
    if (!updated) return (await load(row.id)) ?? row;
    await appendAudit(db, {
      userId: row.userId,
      event: `instance.${status}`,
      outcome: status === 'failed' ? 'failed' : 'ok',
      instanceId: row.id,
      requestId: null,
      clientIp: null,
      clientAgent: null,
    });
    log.info({ event: 'instance.status', instanceId: row.id, userId: row.userId, outcome: status });
    return updated;
  }

  /** The API may already have moved the status (so the user sees it at once); the step still needs its deadline. */
  async function enterStep(row: InstanceRow, status: InstanceStatus): Promise<InstanceRow> {
    if (row.status !== status) return transition(row, status, {}, deps.deadlines.bootMs);
    if (row.deadlineAt) return row;
    const [updated] = await db
      .update(instances)
      .set({ deadlineAt: new Date(now().getTime() + deps.deadlines.bootMs) })
      .where(eq(instances.id, row.id))
      .returning();
    return updated ?? row;
  }

  const refOf = (row: InstanceRow): VmRef => ({
    instanceId: row.id,
    providerId: row.cloudResourceId ?? '',
    region: row.region ?? '',
  });

  async function fail(row: InstanceRow, reason: string): Promise<void> {
    await transition(row, 'failed', { failureReason: reason.slice(0, 300) });
  }

  /** Makes the VM, or finds the one an earlier, interrupted attempt made. */
  async function createVm(row: InstanceRow, provisioner: Provisioner): Promise<InstanceRow> {
    const [existing] = await withRetry(
      () => provisioner.findByInstance({ instanceId: row.id, region: row.region ?? '' }),
      { sleep },
    );
    let vm: Vm;
    if (existing) {
      vm = existing;
    } else {
      // A fresh code for a fresh VM; its hash is stored before the VM exists, so the VM's callback always matches.
      const code = randomBytes(24).toString('base64url');
      await db
        .update(instances)
        .set({
          registrationCodeHash: hashCode(code),
          registrationExpiresAt: new Date(now().getTime() + registrationTtlMs),
        })
        .where(eq(instances.id, row.id));
      vm = await withRetry(
        () =>
          provisioner.create({
            instanceId: row.id,
            name: `claw-${row.id.slice(0, 8)}`,
            region: row.region ?? '',
            size: row.size ?? '',
            image: deps.image(row),
            userData: deps.userData(row, code),
            allowedSources: deps.allowedSources,
          }),
        { sleep },
      );
    }
    // Persisted before any wait: from here on the VM can always be found and deleted by id. Only if no
    // VM is recorded yet: the reconciler may have adopted one first, and the first record wins (any other
    // VM of this instance is then a duplicate the reconciler deletes).
    await db
      .update(instances)
      .set({ cloudResourceId: vm.providerId, region: vm.region })
      .where(and(eq(instances.id, row.id), isNull(instances.cloudResourceId)));
    return (await load(row.id)) ?? row;
  }

  async function waitFor(
    row: InstanceRow,
    provisioner: Provisioner,
    wanted: Vm['status'],
  ): Promise<Vm | null> {
    for (;;) {
      const vm = await withRetry(() => provisioner.get(refOf(row)), { sleep });
      if (vm.status === wanted) return vm;
      if (row.deadlineAt && now() > row.deadlineAt) return null;
      await sleep(deps.pollMs);
    }
  }

  async function create(id: string): Promise<void> {
    let row = await load(id);
    if (!row) return;
    const provisioner = await deps.provisionerFor(row);
    if (row.status === 'requested') row = await transition(row, 'creating', {}, deps.deadlines.createMs);
    if (row.status === 'creating') {
      row = await createVm(row, provisioner);
      // Still creating unless a destroy was clicked meanwhile; then the destroy (or the reconciler) deletes it.
      if (row.status === 'creating') row = await transition(row, 'booting', {}, deps.deadlines.bootMs);
    }
    if (row.status === 'booting') {
      const vm = await waitFor(row, provisioner, 'running');
      if (!vm)
        return fail(row, 'The server did not start in time. It has been left for you to inspect or destroy.');
      row = await transition(
        row,
        'registering',
        { publicAddress: vm.publicIpv4 ?? vm.publicIpv6 ?? null },
        deps.deadlines.registerMs,
      );
    }
    // The new server's agent calls back (agent-callback-routes.ts) and is enrolled; ready is when its gateway is.
    while (row.status === 'registering') {
      if (row.agentFingerprint && (await deps.gatewayReady(row))) {
        await transition(row, 'ready');
        return;
      }
      if (row.deadlineAt && now() > row.deadlineAt) {
        return fail(
          row,
          "The server started but its assistant never became ready (see the server's console log).",
        );
      }
      await sleep(deps.pollMs);
      row = (await load(id)) ?? row;
    }
  }

  async function power(id: string, action: 'stop' | 'start' | 'reboot'): Promise<void> {
    let row = await load(id);
    if (!row?.cloudResourceId) return;
    const provisioner = await deps.provisionerFor(row);
    const [during, after, call, wanted] = {
      stop: ['stopping', 'stopped', () => provisioner.powerOff(refOf(row as InstanceRow)), 'off'],
      start: ['starting', 'ready', () => provisioner.powerOn(refOf(row as InstanceRow)), 'running'],
      reboot: ['rebooting', 'ready', () => provisioner.reboot(refOf(row as InstanceRow)), 'running'],
    }[action] as [InstanceStatus, InstanceStatus, () => Promise<void>, Vm['status']];
    row = await enterStep(row, during);
    await withRetry(call, { sleep });
    if (action === 'reboot') await sleep(deps.pollMs);
    const vm = await waitFor(row, provisioner, wanted);
    if (!vm) return fail(row, `The server did not ${action} in time.`);
    if (wanted === 'running') {
      row = await followAddress(row, vm);
      if (!(await gatewayBack(row))) {
        return fail(row, `The server did ${action}, but its assistant did not come back in time.`);
      }
    }
    await transition(row, after);
  }

  /** The pinned certificate stays: only the agent that enrolled can answer at the new address. */
  async function followAddress(row: InstanceRow, vm: Vm): Promise<InstanceRow> {
    const address = vm.publicIpv4 ?? vm.publicIpv6;
    if (!address || address === row.publicAddress || !row.agentUrl) return row;
    const [updated] = await db
      .update(instances)
      .set({ publicAddress: address, agentUrl: await deps.agentUrlAt(address) })
      .where(eq(instances.id, row.id))
      .returning();
    return updated ?? row;
  }

  async function gatewayBack(row: InstanceRow): Promise<boolean> {
    for (;;) {
      if (await deps.gatewayReady(row)) return true;
      if (row.deadlineAt && now() > row.deadlineAt) return false;
      await sleep(deps.pollMs);
    }
  }

  /** Two-phase: mark, delete by id until the provider says it is done, confirm it is gone. */
  async function destroy(id: string): Promise<void> {
    let row = await load(id);
    if (!row || row.status === 'destroyed') return;
    row = await enterStep(row, 'destroying');
    if (row.cloudResourceId) {
      const provisioner = await deps.provisionerFor(row);
      for (;;) {
        const { done } = await withRetry(() => provisioner.destroy(refOf(row as InstanceRow)), { sleep });
        if (done) break;
        if (row.deadlineAt && now() > row.deadlineAt)
          return fail(row, 'The server could not be deleted in time; we will retry.');
        await sleep(deps.pollMs);
      }
      const vm = await withRetry(() => provisioner.get(refOf(row as InstanceRow)), { sleep });
      if (vm.status !== 'gone') return fail(row, 'The provider still reports the server after deletion.');
    }
    await transition(row, 'destroyed', { credentialCiphertext: null });
  }

  /** Runs a step, turning a final provider error into a failed instance with the provider's words. */
  async function run(id: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      log.warn({ event: 'instance.step_failed', instanceId: id, ...describeError(error) });
      const row = await load(id);
      if (!row) return;
      if (isProviderError(error) && error.retryable) throw error; // the job is retried later
      await fail(
        row,
        isProviderError(error) ? `${error.provider}: ${error.message}` : 'Provisioning failed unexpectedly.',
      );
    }
  }

  // The same step for the same instance runs once at a time across every worker (step-locks.ts): a
  // second copy returns at once and the running one carries on. Keyed by step, not only by instance, so
  // that a destroy clicked during a long create runs beside it and wins.
  const locks = stepLocksFor(db, log);
  async function once(key: string, id: string, step: () => Promise<void>): Promise<void> {
    const release = await locks.tryAcquire(key);
    if (!release) return;
    try {
      await run(id, step);
    } finally {
      await release();
    }
  }

  return {
    create: (id: string) => once(`create:${id}`, id, () => create(id)),
    power: (id: string, action: 'stop' | 'start' | 'reboot') =>
      once(`${action}:${id}`, id, () => power(id, action)),
    destroy: (id: string) => once(`destroy:${id}`, id, () => destroy(id)),
  };
}

export type Workflow = ReturnType<typeof createWorkflow>;
