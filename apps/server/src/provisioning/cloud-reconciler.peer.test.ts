// The cloud reconciler against the stateful DigitalOcean fake behind `prism proxy --errors` (issue #5):
// what carries our tag but the database does not want is deleted by id, what the database is waiting for
// is adopted, and nothing else in the account is touched. Each action is in its owner's activity.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test, type TestContext } from 'node:test';
import { createMemoryLogger } from '@claw/logger';
import { createDigitalOceanProvisioner, type Provisioner } from '@claw/providers';
import { createTestDatabase } from '@claw/testing';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startDigitalOceanFake,
  type DigitalOceanFake,
} from '@claw/testing/cloud-peers';
import type { Database } from '@claw/db';
import { verifyAuditChain } from '../audit/audit-log.ts';
import { createCloudReconciler, type CloudReconcilerDeps } from './cloud-reconciler.ts';

const GRACE_MS = 10 * 60_000;
// The fake stamps every Droplet with this creation time.
const FAKE_CREATED_AT = new Date('2026-11-29T12:00:00Z');

let skip: string | false = false;
let fake: DigitalOceanFake | undefined;
let database: Database;
let provisioner: Provisioner;
let user: string;
let connection: string;

before(async () => {
  const spec = locateSpec('digitalocean');
  skip = skipUnlessAvailable(spec, locatePrism());
  if (skip) return;
  fake = await startDigitalOceanFake({ spec: spec.ok ? spec.path : '' });
  provisioner = createDigitalOceanProvisioner({ token: 'dop_v1_reconciler0000000', baseUrl: fake.url });
  database = await createTestDatabase();
  user = await addUser();
  connection = await addConnection(user);
});
after(async () => {
  await database?.close();
  await fake?.stop();
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
     values ($1, 'digitalocean', 'do', '\\x00', $2) returning id`,
    [userId, passwordProtected],
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
     values ($1, $2, 'mine', 'digitalocean', 'fra1', 's-1vcpu-1gb', $3, $4)`,
    [id, init.userId ?? user, init.status, init.connectionId ?? connection],
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

/** A Droplet made through our provider code (firewall, tags), as a create step makes it. */
async function ourVm(instanceId: string): Promise<string> {
  const vm = await provisioner.create({
    instanceId,
    name: `claw-${instanceId.slice(0, 8)}`,
    region: 'fra1',
    size: 's-1vcpu-1gb',
    image: 'debian-12-x64',
    userData: '#cloud-config\n{}\n',
    allowedSources: ['198.51.100.7'],
  });
  return vm.providerId;
}

/** A second Droplet for an instance, as a lost answer or a racing worker would leave it. */
const plantedVm = (instanceId: string): string =>
  String(fake?.addDroplet({ name: 'extra', tags: ['claw-cloud', `claw-instance-${instanceId}`] }));

const exists = (providerId: string) => fake?.droplets.has(Number(providerId)) ?? false;

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
  const orphan = plantedVm(randomUUID());
  const r = reconciler({ now: () => new Date(FAKE_CREATED_AT.getTime() + 60_000) });
  await r.sweep();
  assert.ok(exists(orphan), 'a create may still be on its way to the database');
  assert.ok(
    r.log.lines.some((l) => l.includes('reconcile.vm_spared')),
    r.log.lines.join('\n'),
  );
  fake?.droplets.delete(Number(orphan));
});

test('orphans, leftovers of destroyed instances and duplicates go; foreign VMs and the recorded VM stay; a lost commit is adopted', async (ctx) => {
  if (!needsPeers(ctx) || !fake) return;
  // Planted with our tags, for an instance id the database has never seen.
  const unknownInstance = randomUUID();
  const orphan = await ourVm(unknownInstance);
  // Someone else's Droplets: one without any tag of ours, one with our generic tag only.
  const foreign = fake.addDroplet({ name: 'users-own', tags: ['web'] });
  const lookalike = fake.addDroplet({ name: 'users-other', tags: ['claw-cloud'] });
  // An instance destroyed while (or before) its VM was being made.
  const destroyed = await addInstance({ status: 'destroyed' });
  const leftover = await ourVm(destroyed);
  // A ready instance with its VM recorded, and a second VM of it.
  const ready = await addInstance({ status: 'ready' });
  const readyVm = await ourVm(ready);
  await database.query(`update instances set cloud_resource_id = $2 where id = $1`, [ready, readyVm]);
  const duplicate = plantedVm(ready);
  // The worker died between the cloud call and the commit: a VM, and no id in the database.
  const creating = await addInstance({ status: 'creating' });
  const lost = await ourVm(creating);
  // Another user's live instance in the same cloud account (connected twice): not this connection's.
  const otherUser = await addUser();
  const otherConnection = await addConnection(otherUser);
  const theirs = await addInstance({ status: 'creating', userId: otherUser, connectionId: otherConnection });
  const theirVm = plantedVm(theirs);
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

  assert.ok(!exists(orphan), 'an orphan with our tags is deleted');
  assert.ok(![...fake.firewalls.values()].some((f) => f.tags.includes(`claw-instance-${unknownInstance}`)));
  assert.ok(exists(String(foreign)), 'a VM without our tags is untouched');
  assert.ok(exists(String(lookalike)), 'a VM with our generic tag but no instance is untouched');
  assert.ok(!exists(leftover), 'the VM of a destroyed instance is deleted');
  assert.ok(exists(readyVm), 'the recorded VM stays');
  assert.ok(!exists(duplicate), 'its duplicate is deleted');
  assert.ok(exists(lost), 'the VM of an instance still creating stays');
  assert.equal(await recordedId(creating), lost, 'and is adopted: its id is in the database now');
  assert.ok(exists(theirVm), "another connection's live instance is left to that connection");
  assert.equal(await recordedId(theirs), theirVm, "that connection's own sweep adopts it");
  assert.ok(!r.used.includes(locked), 'a password-protected connection is never decrypted');
  assert.ok(r.log.lines.some((l) => l.includes('reconcile.skipped') && l.includes('credential_locked')));
  assert.deepEqual(deletesBySelector(fake.requests()), [], 'every delete named one resource id');
  for (const line of r.log.lines) assert.doesNotMatch(line, /dop_v1_/, 'no token in the log');

  // In the activity: an instance's own user's when the instance is known, whichever connection acted…
  assert.ok(!exists(theirLeftover));
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
  if (!needsPeers(ctx) || !fake) return;
  const creating = await addInstance({ status: 'creating' });
  const first = await ourVm(creating);
  const second = plantedVm(creating);
  await reconciler().sweep();
  assert.equal(await recordedId(creating), first);
  assert.ok(exists(first));
  assert.ok(!exists(second), 'exactly one VM per instance');
  assert.deepEqual(await recordedFor('cloud.vm_adopted', creating), [user]);
  assert.deepEqual(await recordedFor('cloud.vm_deleted', creating), [user]);
});

test("a stray firewall deleted is in its instance's owner's activity, or the finder's", async (ctx) => {
  if (!needsPeers(ctx)) return;
  // DigitalOcean tokens cannot list firewalls (docs/providers.md), so the fake account's listing is
  // given two strays here; each is listed until deleted, as a real account lists it.
  const owner = await addUser();
  const destroyed = await addInstance({
    status: 'destroyed',
    userId: owner,
    connectionId: await addConnection(owner),
  });
  const unknown = randomUUID();
  const strays = new Set([destroyed, unknown]);
  const deletedBy = new Map<string, string>();
  const r = reconciler({
    provisionerFor: async (credential) => ({
      ...provisioner,
      listOurs: async (regions) => ({
        ...(await provisioner.listOurs(regions)),
        firewallsWithoutVm: [...strays].map((instanceId) => ({ instanceId, region: 'fra1' })),
      }),
      destroyFirewalls: async (scope) => {
        strays.delete(scope.instanceId);
        deletedBy.set(scope.instanceId, credential.userId);
        return { done: true };
      },
    }),
  });
  await r.sweep();
  assert.deepEqual(strays, new Set(), 'both deleted');
  assert.deepEqual(await recordedFor('cloud.firewall_deleted', destroyed), [owner]);
  assert.deepEqual(await recordedFor('cloud.firewall_deleted', unknown), [deletedBy.get(unknown)]);
  assert.ok(
    r.log.lines.some((l) => l.includes('reconcile.firewall_deleted')),
    'and still logged',
  );
});

test('a sweep that finds nothing to do changes nothing', async (ctx) => {
  if (!needsPeers(ctx) || !fake) return;
  const before = [...fake.droplets.keys()].sort();
  const deletes = () => fake?.requests().filter((r) => r.method === 'DELETE').length;
  const count = deletes();
  await reconciler().sweep();
  assert.deepEqual([...fake.droplets.keys()].sort(), before);
  assert.equal(deletes(), count);
});
