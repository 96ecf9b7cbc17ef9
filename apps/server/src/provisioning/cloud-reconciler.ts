// The cloud half of the reconciler: what each cloud connection reaches that carries our marker, held
// against the database. The rules, and why they are safe, are in docs/provisioning.md ("Reconciler").
import { and, eq, gt, inArray, isNotNull, isNull, ne, or } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import type { InstanceScope, Provisioner, Vm } from '@claw/providers';
import { appendAudit, type AuditEvent } from '../audit/audit-log.ts';
import type { CredentialRow } from '../credentials/credential-service.ts';
import { withRetry } from './with-retry.ts';

const { instances, credentials } = schema;
type InstanceRow = typeof instances.$inferSelect;

const provisionable = ['digitalocean', 'aws', 'hetzner'];
// A connection is swept while it has a live instance, and for a day after its last one was destroyed
// (long enough for a VM left by a destroy that raced a create), not forever.
const SWEEP_AFTER_DESTROY_MS = 24 * 60 * 60_000;

export type CloudReconcilerDeps = {
  db: Db;
  log: Logger;
  /**
   * The provider client for a connection usable without its owner present (throws otherwise); it
   * decrypts with the purpose `reconcile`, whose uses are recorded at most hourly (credential-service.ts).
   */
  provisionerFor(credential: CredentialRow): Promise<Provisioner>;
  /** Regions listed on regional providers (AWS) besides those of the connection's instances. */
  defaultRegions: readonly string[];
  /** A VM younger than this is never deleted: its create may still be on its way to the database. */
  graceMs: number;
  now?: () => Date;
};

type Outcome =
  | 'unknown_instance'
  | 'destroyed_instance'
  | 'duplicate'
  | 'adopted'
  | 'other_connection'
  | 'too_young'
  | 'not_done';

export function createCloudReconciler(deps: CloudReconcilerDeps) {
  const { db, log } = deps;
  const now = deps.now ?? (() => new Date());

  const note = (event: string, credential: CredentialRow, instanceId: string, outcome: Outcome) =>
    log.info({ event, userId: credential.userId, instanceId, outcome });

  /**
   * What the reconciler did in a user's cloud account, in that user's activity: the instance's owner's
   * when the instance is known, else the connection's owner's (who sees the resource in their account).
   * The instance id is the one its tag/label carries, a well-formed UUID (providers list nothing else).
   */
  const audit = (event: AuditEvent, credential: CredentialRow, instanceId: string, row?: InstanceRow) =>
    appendAudit(db, {
      userId: row?.userId ?? credential.userId,
      event,
      outcome: 'ok',
      instanceId,
      requestId: null,
      clientIp: null,
      clientAgent: null,
    });

  /**
   * Deletes one VM by id (destroy re-reads its tags first) unless it is too young to judge. Recorded
   * once the provider has accepted the VM's deletion; "not done" only means its firewall is still to go,
   * which a later pass deletes (and records) as a stray firewall.
   */
  async function deleteVm(
    p: Provisioner,
    credential: CredentialRow,
    vm: Vm,
    why: Outcome,
    row: InstanceRow | undefined,
  ): Promise<void> {
    if (!vm.createdAt || now().getTime() - vm.createdAt.getTime() < deps.graceMs) {
      note('reconcile.vm_spared', credential, vm.instanceId, 'too_young');
      return;
    }
    const { done } = await withRetry(() => p.destroy(vm));
    note('reconcile.vm_deleted', credential, vm.instanceId, done ? why : 'not_done');
    await audit('cloud.vm_deleted', credential, vm.instanceId, row);
  }

  /**
   * Records `vm` as the instance's VM unless one is recorded already; returns the recorded id, and
   * whether this call recorded it (the workflow may have recorded the same VM a moment earlier).
   */
  async function adopt(row: InstanceRow, vm: Vm): Promise<{ recorded: string | null; adopted: boolean }> {
    const mine = await db
      .update(instances)
      .set({ cloudResourceId: vm.providerId, region: vm.region })
      .where(and(eq(instances.id, row.id), isNull(instances.cloudResourceId)))
      .returning({ id: instances.id });
    if (mine.length > 0) return { recorded: vm.providerId, adopted: true };
    const [after] = await db
      .select({ cloudResourceId: instances.cloudResourceId })
      .from(instances)
      .where(eq(instances.id, row.id));
    return { recorded: after?.cloudResourceId ?? null, adopted: false };
  }

  const oldestFirst = (a: Vm, b: Vm) =>
    (a.createdAt?.getTime() ?? Infinity) - (b.createdAt?.getTime() ?? Infinity) ||
    a.providerId.localeCompare(b.providerId);

  async function settleInstance(
    p: Provisioner,
    credential: CredentialRow,
    row: InstanceRow | undefined,
    vms: Vm[],
  ): Promise<void> {
    const instanceId = vms[0]?.instanceId ?? '';
    if (!row || row.status === 'destroyed') {
      const why = row ? 'destroyed_instance' : 'unknown_instance';
      for (const vm of vms) await deleteVm(p, credential, vm, why, row);
      return;
    }
    // Alive on another connection (the same cloud account connected twice, or by two users): that
    // connection's own sweep settles it; from here it is never touched.
    if (row.cloudCredentialId !== credential.id) {
      note('reconcile.vm_left', credential, instanceId, 'other_connection');
      return;
    }
    const [oldest] = [...vms].sort(oldestFirst);
    let recorded = row.cloudResourceId;
    if (!recorded && oldest) {
      const adoption = await adopt(row, oldest);
      recorded = adoption.recorded;
      if (adoption.adopted) {
        note('reconcile.vm_adopted', credential, instanceId, 'adopted');
        await audit('cloud.vm_adopted', credential, instanceId, row);
      }
    }
    for (const vm of vms) {
      if (vm.providerId !== recorded) await deleteVm(p, credential, vm, 'duplicate', row);
    }
  }

  async function sweepConnection(credential: CredentialRow, regions: string[]): Promise<void> {
    const p = await deps.provisionerFor(credential);
    const found = await withRetry(() => p.listOurs(regions));
    const byInstance = new Map<string, Vm[]>();
    for (const vm of found.vms) byInstance.set(vm.instanceId, [...(byInstance.get(vm.instanceId) ?? []), vm]);
    const ids = [...new Set([...byInstance.keys(), ...found.firewallsWithoutVm.map((f) => f.instanceId)])];
    const known = new Map(
      (ids.length === 0 ? [] : await db.select().from(instances).where(inArray(instances.id, ids))).map(
        (r) => [r.id, r],
      ),
    );
    // One resource failing (a 5xx, a refusal) must not stop the others; the next sweep tries it again.
    const attempt = async (instanceId: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        log.warn({
          event: 'reconcile.failed',
          userId: credential.userId,
          instanceId,
          ...describeError(error),
        });
      }
    };
    for (const [instanceId, vms] of byInstance) {
      await attempt(instanceId, () => settleInstance(p, credential, known.get(instanceId), vms));
    }
    for (const scope of found.firewallsWithoutVm) {
      const row = known.get(scope.instanceId);
      // A live instance may be between its firewall and its VM (create makes them in that order).
      if (row && row.status !== 'destroyed') continue;
      await attempt(scope.instanceId, () => deleteFirewalls(p, credential, scope, row));
    }
  }

  async function deleteFirewalls(
    p: Provisioner,
    credential: CredentialRow,
    scope: InstanceScope,
    row: InstanceRow | undefined,
  ): Promise<void> {
    const { done } = await withRetry(() => p.destroyFirewalls(scope));
    const why = row ? 'destroyed_instance' : 'unknown_instance';
    note('reconcile.firewall_deleted', credential, scope.instanceId, done ? why : 'not_done');
    // Not done: a firewall still in use by a VM on its way out; the next pass deletes and records it.
    if (done) await audit('cloud.firewall_deleted', credential, scope.instanceId, row);
  }

  /** One pass over every connection worth sweeping; a connection that fails is logged and skipped. */
  async function sweep(): Promise<void> {
    const since = new Date(now().getTime() - SWEEP_AFTER_DESTROY_MS);
    const rows = await db
      .select({ credentialId: instances.cloudCredentialId, region: instances.region })
      .from(instances)
      .where(
        and(
          isNotNull(instances.cloudCredentialId),
          or(ne(instances.status, 'destroyed'), gt(instances.updatedAt, since)),
        ),
      );
    const regions = new Map<string, Set<string>>();
    for (const { credentialId, region } of rows) {
      if (!credentialId) continue;
      const set = regions.get(credentialId) ?? new Set(deps.defaultRegions);
      if (region) set.add(region);
      regions.set(credentialId, set);
    }
    if (regions.size === 0) return;
    const connections = await db
      .select()
      .from(credentials)
      .where(and(inArray(credentials.id, [...regions.keys()]), inArray(credentials.provider, provisionable)));
    for (const credential of connections) {
      if (credential.passwordProtected || !credential.ciphertext) {
        log.info({ event: 'reconcile.skipped', userId: credential.userId, outcome: 'credential_locked' });
        continue;
      }
      try {
        await sweepConnection(credential, [...(regions.get(credential.id) ?? [])]);
      } catch (error) {
        log.warn({ event: 'reconcile.failed', userId: credential.userId, ...describeError(error) });
      }
    }
  }

  return { sweep };
}
