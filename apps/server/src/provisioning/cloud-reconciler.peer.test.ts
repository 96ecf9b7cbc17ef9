// The cloud reconciler on every provider's emulator (issue #5): DigitalOcean and Hetzner on the stateful
// fakes behind `prism proxy --errors`, AWS on moto. What carries our tag but the database does not want is
// deleted by id, what the database is waiting for is adopted, and nothing else in the account is touched.
// Each action is in its owner's activity. The provider client is built by the control plane's own factory.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { createMemoryLogger } from '@claw/logger';
import { generateExternalId, type Provisioner } from '@claw/providers';
import { createTestDatabase } from '@claw/testing';
import {
  emulatedProviders,
  emulatorAvailability,
  skipUnlessAvailable,
  startEmulatedCloud,
  type EmulatedCloud,
  type EmulatedProvider,
} from '@claw/testing/cloud-peers';
import type { Database } from '@claw/db';
import { verifyAuditChain } from '../audit/audit-log.ts';
import { loadConfig } from '../config.ts';
import { NewCredential, toSecret } from '../credentials/credential-secret.ts';
import { createCloudReconciler, type CloudReconcilerDeps } from './cloud-reconciler.ts';
import { imageFor, provisionerFor } from './provisioner-factory.ts';

const GRACE_MS = 10 * 60_000;

for (const provider of emulatedProviders)
  describe(`the cloud reconciler on emulated ${provider}`, () => reconcilerSuite(provider));

function reconcilerSuite(provider: EmulatedProvider) {
  let skip: string | false = false;
  let cloud: EmulatedCloud;
  let database: Database;
  let provisioner: Provisioner;
  let secretToken: string | undefined;
  let user: string;
  let connection: string;

  before(async () => {
    skip = skipUnlessAvailable(...emulatorAvailability(provider));
    if (skip) return;
    // The database first: its start-up blocks the event loop long enough for the emulator to drop the
    // keep-alive connection of its readiness probe, which the next request would otherwise reuse.
    database = await createTestDatabase();
    cloud = await startEmulatedCloud(provider);
    const added = NewCredential.parse(cloud.connection('reconciler'));
    secretToken = 'token' in added ? added.token : undefined;
    provisioner = provisionerFor(
      toSecret(added),
      { externalId: generateExternalId(), region: cloud.region },
      loadConfig(cloud.env).clouds,
    );
    user = await addUser();
    connection = await addConnection(user);
  });
  after(async () => {
    await database?.close();
    await cloud?.stop();
  });

  function needsPeers(ctx: TestContext): boolean {
    if (skip) ctx.skip(skip);
    return !skip;
  }

  async function addUser(): Promise<string> {
    const [row] = await database.query<{ id: string }>(
      `insert into users (email, password_hash) values ($1, 'unused') returning id`,
      [`${randomUUID()}@example.com`],
    );
    return row?.id ?? '';
  }

  async function addConnection(userId: string, passwordProtected = false): Promise<string> {
    const [row] = await database.query<{ id: string }>(
      `insert into credentials (user_id, provider, label, ciphertext, password_protected)
       values ($1, $2, 'mine', '\\x00', $3) returning id`,
      [userId, provider, passwordProtected],
    );
    return row?.id ?? '';
  }

  async function addInstance(init: {
    status: string;
    userId?: string;
    connectionId?: string;
  }): Promise<string> {
    const id = randomUUID();
    await database.query(
      `insert into instances (id, user_id, name, provider, region, size, status, cloud_credential_id)
       values ($1, $2, 'mine', $3, $4, $5, $6, $7)`,
      [
        id,
        init.userId ?? user,
        provider,
        cloud.region,
        cloud.size,
        init.status,
        init.connectionId ?? connection,
      ],
    );
    return id;
  }

  const recordedId = async (id: string) =>
    (
      await database.query<{ cloud_resource_id: string | null }>(
        `select cloud_resource_id from instances where id = $1`,
        [id],
      )
    )[0]?.cloud_resource_id ?? null;

  /** A VM made through our provider code (firewall, tags), as a create step makes it. */
  async function ourVm(instanceId: string): Promise<string> {
    const vm = await provisioner.create({
      instanceId,
      name: `claw-${instanceId.slice(0, 8)}`,
      region: cloud.region,
      size: cloud.size,
      image: imageFor(provider, cloud.env.CLAW_AWS_IMAGE_ID),
      userData: '#cloud-config\n{}\n',
      allowedSources: ['198.51.100.7'],
    });
    return vm.providerId;
  }

  const exists = async (providerId: string) => (await cloud.allVms()).some((vm) => vm.id === providerId);

  /** Whose activity (audit chain) holds each `event` about `instanceId`, one entry per row. */
  const recordedFor = async (event: string, instanceId: string) =>
    (
      await database.query<{ user_id: string }>(
        `select user_id from audit_log where event = $1 and instance_id = $2 order by id`,
        [event, instanceId],
      )
    ).map((row) => row.user_id);

  /** The user whose connection's sweep logged `event` for `instanceId`. */
  const loggedBy = (lines: string[], event: string, instanceId: string) =>
    lines
      .map((line) => JSON.parse(line) as { event: string; instanceId?: string; userId?: string })
      .find((line) => line.event === event && line.instanceId === instanceId)?.userId;

  function reconciler(overrides: Partial<CloudReconcilerDeps> = {}) {
    const log = createMemoryLogger();
    const used: string[] = [];
    const r = createCloudReconciler({
      db: database.db,
      log,
      provisionerFor: async (credential) => {
        used.push(credential.id);
        return provisioner;
      },
      defaultRegions: [],
      graceMs: GRACE_MS,
      ...overrides,
    });
    return { ...r, log, used };
  }

  test('a VM younger than the grace period is spared, even when no instance wants it', async (ctx) => {
    if (!needsPeers(ctx)) return;
    await addInstance({ status: 'failed' }); // the connection is swept while it has a live instance
    const unknownInstance = randomUUID();
    const orphan = await cloud.plantVm(unknownInstance);
    const [planted] = await provisioner.findByInstance({ instanceId: unknownInstance, region: cloud.region });
    assert.ok(planted?.createdAt, 'the provider says when it made the VM');
    const r = reconciler({ now: () => new Date((planted.createdAt?.getTime() ?? 0) + 60_000) });
    await r.sweep();
    assert.ok(await exists(orphan), 'a create may still be on its way to the database');
    assert.ok(
      r.log.lines.some((l) => l.includes('reconcile.vm_spared')),
      r.log.lines.join('\n'),
    );
    assert.deepEqual(await cloud.vmDeletes(), []);
    // Left in the account: the next test's sweep, on the real clock, must delete it.
  });

  test('orphans, leftovers of destroyed instances and duplicates go; foreign VMs and the recorded VM stay; a lost commit is adopted', async (ctx) => {
    if (!needsPeers(ctx)) return;
    // Made by our code, for an instance id the database has never seen.
    const unknownInstance = randomUUID();
    const orphan = await ourVm(unknownInstance);
    // The user's own VMs: one without any mark of ours, one with our generic marker only.
    const foreign = await cloud.plantForeignVm('none');
    const lookalike = await cloud.plantForeignVm('marker-only');
    // An instance destroyed while (or before) its VM was being made.
    const destroyed = await addInstance({ status: 'destroyed' });
    const leftover = await ourVm(destroyed);
    // A ready instance with its VM recorded, and a second VM of it.
    const ready = await addInstance({ status: 'ready' });
    const readyVm = await ourVm(ready);
    await database.query(`update instances set cloud_resource_id = $2 where id = $1`, [ready, readyVm]);
    const duplicate = await cloud.plantVm(ready);
    // The worker died between the cloud call and the commit: a VM, and no id in the database.
    const creating = await addInstance({ status: 'creating' });
    const lost = await ourVm(creating);
    // Another user's live instance in the same cloud account (connected twice): not this connection's.
    const otherUser = await addUser();
    const otherConnection = await addConnection(otherUser);
    const theirs = await addInstance({
      status: 'creating',
      userId: otherUser,
      connectionId: otherConnection,
    });
    const theirVm = await cloud.plantVm(theirs);
    // That user's destroyed instance, whose VM this user's connection may be the one to find.
    const theirDestroyed = await addInstance({
      status: 'destroyed',
      userId: otherUser,
      connectionId: otherConnection,
    });
    const theirLeftover = await ourVm(theirDestroyed);
    // A connection only its owner's password opens: background work must not use it.
    const locked = await addConnection(otherUser, true);
    await addInstance({ status: 'ready', userId: otherUser, connectionId: locked });

    const r = reconciler();
    await r.sweep();

    assert.ok(!(await exists(orphan)), 'an orphan with our tags is deleted');
    assert.deepEqual(await cloud.firewallsOf(unknownInstance), [], 'and its firewall');
    assert.ok(await exists(foreign), 'a VM without our tags is untouched');
    assert.ok(await exists(lookalike), 'a VM with our generic tag but no instance is untouched');
    assert.ok(!(await exists(leftover)), 'the VM of a destroyed instance is deleted');
    assert.ok(await exists(readyVm), 'the recorded VM stays');
    assert.ok(!(await exists(duplicate)), 'its duplicate is deleted');
    assert.ok(await exists(lost), 'the VM of an instance still creating stays');
    assert.equal(await recordedId(creating), lost, 'and is adopted: its id is in the database now');
    assert.ok(await exists(theirVm), "another connection's live instance is left to that connection");
    assert.equal(await recordedId(theirs), theirVm, "that connection's own sweep adopts it");
    assert.ok(!r.used.includes(locked), 'a password-protected connection is never decrypted');
    assert.ok(r.log.lines.some((l) => l.includes('reconcile.skipped') && l.includes('credential_locked')));
    const deleted = await cloud.vmDeletes();
    for (const vm of [orphan, leftover, duplicate, theirLeftover]) assert.ok(deleted.includes(vm), vm);
    for (const vm of [foreign, lookalike, readyVm, lost, theirVm]) assert.ok(!deleted.includes(vm), vm);
    assert.deepEqual(await cloud.deletesBySelector(), [], 'every delete named one resource id');
    for (const line of r.log.lines) {
      if (secretToken) assert.ok(!line.includes(secretToken), 'no token in the log');
    }

    // In the activity: an instance's own user's when the instance is known, whichever connection acted…
    assert.ok(!(await exists(theirLeftover)));
    assert.deepEqual(await recordedFor('cloud.vm_deleted', destroyed), [user]);
    assert.deepEqual(await recordedFor('cloud.vm_deleted', theirDestroyed), [otherUser]);
    assert.deepEqual(await recordedFor('cloud.vm_deleted', ready), [user], 'the duplicate, once');
    assert.deepEqual(await recordedFor('cloud.vm_adopted', creating), [user]);
    assert.deepEqual(await recordedFor('cloud.vm_adopted', theirs), [otherUser]);
    // …else the user whose connection found it in their cloud account.
    const deleter = loggedBy(r.log.lines, 'reconcile.vm_deleted', unknownInstance);
    assert.ok(deleter === user || deleter === otherUser, r.log.lines.join('\n'));
    assert.deepEqual(await recordedFor('cloud.vm_deleted', unknownInstance), [deleter]);
    assert.deepEqual(await recordedFor('cloud.vm_deleted', creating), [], 'the adopted VM is kept');
    for (const owner of [user, otherUser]) {
      assert.deepEqual((await verifyAuditChain(database.db, owner)).ok, true, 'each chain still verifies');
    }
  });

  test('two VMs for an instance whose commit was lost: the oldest is adopted, the other deleted', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const creating = await addInstance({ status: 'creating' });
    const first = await ourVm(creating);
    const second = await cloud.plantVm(creating);
    // As old as the provider tells: EC2's LaunchTime has whole seconds, the fakes stamp one time on all,
    // and a tie is settled by id (cloud-reconciler.ts), so "oldest" is what the listing says.
    const made = new Map(
      (await provisioner.findByInstance({ instanceId: creating, region: cloud.region })).map((vm) => [
        vm.providerId,
        vm.createdAt?.getTime() ?? Infinity,
      ]),
    );
    await reconciler().sweep();
    const adopted = await recordedId(creating);
    const other = adopted === first ? second : first;
    assert.ok(adopted === first || adopted === second, 'one of them is adopted');
    assert.ok((made.get(adopted) ?? Infinity) <= (made.get(other) ?? -Infinity), 'the oldest');
    assert.ok(await exists(adopted));
    assert.ok(!(await exists(other)), 'exactly one VM per instance');
    assert.ok((await cloud.vmDeletes()).includes(other), 'deleted by its id');
    assert.deepEqual(await recordedFor('cloud.vm_adopted', creating), [user]);
    assert.deepEqual(await recordedFor('cloud.vm_deleted', creating), [user]);
  });

  test("a stray firewall deleted is in its instance's owner's activity, or the finder's; a live instance's stays", async (ctx) => {
    if (!needsPeers(ctx)) return;
    const owner = await addUser();
    const destroyed = await addInstance({
      status: 'destroyed',
      userId: owner,
      connectionId: await addConnection(owner),
    });
    const unknown = randomUUID();
    // Create makes the firewall before the VM: a live instance's firewall may be waiting for its VM.
    const creating = await addInstance({ status: 'creating' });
    for (const instanceId of [destroyed, unknown, creating]) await cloud.plantFirewall(instanceId);
    const r = reconciler();
    await r.sweep();
    assert.deepEqual(await cloud.firewallsOf(destroyed), [], "the destroyed instance's is deleted");
    assert.deepEqual(await cloud.firewallsOf(unknown), [], "the unknown instance's is deleted");
    assert.equal((await cloud.firewallsOf(creating)).length, 1, "the live instance's stays");
    assert.deepEqual(await recordedFor('cloud.firewall_deleted', destroyed), [owner]);
    const finder = loggedBy(r.log.lines, 'reconcile.firewall_deleted', unknown);
    assert.ok(finder, r.log.lines.join('\n'));
    assert.deepEqual(await recordedFor('cloud.firewall_deleted', unknown), [finder]);
    assert.deepEqual(await recordedFor('cloud.firewall_deleted', creating), []);
    assert.deepEqual(await cloud.deletesBySelector(), [], 'each firewall deleted by its id');
  });

  test('a sweep that finds nothing to do changes nothing', async (ctx) => {
    if (!needsPeers(ctx)) return;
    const vms = async () => (await cloud.allVms()).map((vm) => vm.id).sort();
    const before = await vms();
    const deletes = (await cloud.vmDeletes()).length;
    await reconciler().sweep();
    assert.deepEqual(await vms(), before);
    assert.equal((await cloud.vmDeletes()).length, deletes);
  });
}
