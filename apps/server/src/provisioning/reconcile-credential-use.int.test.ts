// Issue #5: the reconciler opens every swept connection on every pass (5 minutes), forever. The user's
// activity records that background use at most hourly, not once a pass; a step the user started is
// recorded every time.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Database } from '@claw/db';
import { createMemoryLogger } from '@claw/logger';
import { createTestDatabase } from '@claw/testing';
import { KeyRing } from '@claw/vault';
import type { ActiveSession } from '../auth/session-service.ts';
import { createCredentialService, type CredentialService } from '../credentials/credential-service.ts';
import { createProtectedKeys } from '../keys/protected-keys.ts';
import { createUserKeys } from '../keys/user-keys.ts';
import { createCloudReconciler } from './cloud-reconciler.ts';
import { scriptedProvisioner } from './scripted-provisioner.ts';

let database: Database;
let credentials: CredentialService;

before(async () => {
  database = await createTestDatabase();
  credentials = createCredentialService({
    db: database.db,
    userKeys: createUserKeys({ db: database.db, keys: new KeyRing({ keys: [[1, randomBytes(32)]] }) }),
    protectedKeys: createProtectedKeys({ db: database.db }),
    verify: async () => ({ ok: true, account: {} }),
  });
});
after(() => database?.close());

/** A user with a DigitalOcean connection (stored as the API stores it) and a live instance on it. */
async function connectedUser() {
  const [user] = await database.query<{ id: string; email: string; created_at: Date }>(
    `insert into users (email, password_hash) values ($1, 'unused') returning id, email, created_at`,
    [`${randomUUID()}@example.com`],
  );
  assert.ok(user);
  const session: ActiveSession = {
    tokenHash: randomBytes(32),
    user: { id: user.id, email: user.email, plan: 'free', createdAt: user.created_at },
    expiresAt: new Date(Date.now() + 60_000),
    reauthenticatedAt: new Date(),
  };
  const { row } = await credentials.add(
    session,
    {
      label: 'do',
      secret: { provider: 'digitalocean', kind: 'token', token: 'dop_v1_credentialuse0000' },
      passwordProtected: false,
    },
    { requestId: 'req', clientIp: null, clientAgent: null },
  );
  await database.query(
    `insert into instances (id, user_id, name, provider, region, size, status, cloud_credential_id)
     values ($1, $2, 'mine', 'digitalocean', 'fra1', 's-1vcpu-1gb', 'ready', $3)`,
    [randomUUID(), user.id, row.id],
  );
  return { userId: user.id, credential: row };
}

const usesRecorded = async (userId: string) =>
  Number(
    (
      await database.query<{ n: string }>(
        `select count(*) as n from audit_log where user_id = $1 and event = 'credential.used'`,
        [userId],
      )
    )[0]?.n,
  );

test('two reconcile passes in a row record one use of the connection, not two', async () => {
  const { userId, credential } = await connectedUser();
  // Last used (verified) two hours ago: the next background use is news to the user.
  await database.query(`update credentials set last_used_at = now() - interval '2 hours' where id = $1`, [
    credential.id,
  ]);
  const opened: string[] = [];
  const reconciler = createCloudReconciler({
    db: database.db,
    log: createMemoryLogger(),
    // As provisioning-service.ts wires it: the sweep decrypts the connection for real, as `reconcile`.
    provisionerFor: async (row) => {
      const secret = await credentials.decryptForWork(row, 'reconcile');
      opened.push(secret.provider);
      return scriptedProvisioner({ listOurs: async () => ({ vms: [], firewallsWithoutVm: [] }) });
    },
    defaultRegions: [],
    graceMs: 10 * 60_000,
  });
  const before = await usesRecorded(userId);

  await reconciler.sweep();
  await reconciler.sweep();

  assert.deepEqual(opened, ['digitalocean', 'digitalocean'], 'both passes opened the connection');
  assert.equal((await usesRecorded(userId)) - before, 1, 'one credential.used for the two passes');

  // A step the user started is recorded every time, whatever the sweeps did.
  await credentials.decryptForWork(credential, 'provisioning');
  await credentials.decryptForWork(credential, 'provisioning');
  assert.equal((await usesRecorded(userId)) - before, 3);
  await reconciler.sweep();
  assert.equal((await usesRecorded(userId)) - before, 3, 'and a sweep right after adds nothing');
});

test('concurrent passes (several processes) record one use between them', async () => {
  const { userId, credential } = await connectedUser();
  await database.query(`update credentials set last_used_at = null where id = $1`, [credential.id]);
  const before = await usesRecorded(userId);
  await Promise.all([1, 2, 3].map(() => credentials.decryptForWork(credential, 'reconcile')));
  assert.equal((await usesRecorded(userId)) - before, 1);
});
