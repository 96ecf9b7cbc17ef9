import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { schema, type Database } from '@claw/db';
import { createTestDatabase } from '@claw/testing';
import { decryptCredential, encryptCredential, KeyRing, type KeyProvider } from '@claw/vault';
import { createUserKeys } from './user-keys.ts';

let database: Database;
const v1 = randomBytes(32);
const v2 = randomBytes(32);
const ringV1 = new KeyRing({ keys: [[1, v1]] });
const ringV2 = new KeyRing({
  keys: [
    [1, v1],
    [2, v2],
  ],
});
const ringOnlyV2 = new KeyRing({
  keys: [
    [1, v1],
    [2, v2],
  ],
  minVersion: 2,
});
const userIds: string[] = [];

before(async () => {
  database = await createTestDatabase();
  for (let i = 0; i < 5; i++) {
    const [user] = await database.db
      .insert(schema.users)
      .values({ email: `k${i}@example.com`, passwordHash: 'x' })
      .returning();
    userIds.push(user?.id ?? '');
  }
  const keys = createUserKeys({ db: database.db, keys: ringV1 });
  for (const id of userIds) (await keys.dataKeyFor(id)).fill(0);
});
after(() => database.close());

const versions = async () =>
  (await database.query<{ key_version: number }>('select key_version from user_keys order by user_id')).map(
    (r) => r.key_version,
  );

test('the same data key comes back for a user; another user gets another', async () => {
  const keys = createUserKeys({ db: database.db, keys: ringV1 });
  const a = await keys.dataKeyFor(userIds[0] ?? '');
  const again = await keys.dataKeyFor(userIds[0] ?? '');
  const b = await keys.dataKeyFor(userIds[1] ?? '');
  assert.ok(a.equals(again));
  assert.ok(!a.equals(b));
});

test('a rewrap killed midway resumes where it stopped, and a second run changes nothing', async () => {
  const before = new Map<string, Buffer>();
  const v1Keys = createUserKeys({ db: database.db, keys: ringV1 });
  for (const id of userIds) before.set(id, await v1Keys.dataKeyFor(id));

  // A key provider that dies after two wraps, like a process killed in the middle of the run.
  let wraps = 0;
  const dying: KeyProvider = {
    currentVersion: () => ringV2.currentVersion(),
    keyVersionOf: (w) => ringV2.keyVersionOf(w),
    unwrapDataKey: (w, u) => ringV2.unwrapDataKey(w, u),
    wrapDataKey: async (k, u) => {
      if (++wraps > 2) throw new Error('killed');
      return ringV2.wrapDataKey(k, u);
    },
  };
  await assert.rejects(createUserKeys({ db: database.db, keys: dying }).rewrapAll(), /killed/);
  assert.deepEqual((await versions()).filter((v) => v === 2).length, 2);

  const resumed = await createUserKeys({ db: database.db, keys: ringV2 }).rewrapAll();
  assert.equal(resumed, 3);
  assert.deepEqual(await versions(), [2, 2, 2, 2, 2]);
  assert.equal(await createUserKeys({ db: database.db, keys: ringV2 }).rewrapAll(), 0);

  // The data keys themselves did not change, so every ciphertext still decrypts.
  const after = createUserKeys({ db: database.db, keys: ringOnlyV2 });
  for (const id of userIds) assert.ok((await after.dataKeyFor(id)).equals(before.get(id) ?? Buffer.alloc(0)));
});

test('raising the minimum version refuses keys still wrapped by an older master key', async () => {
  const [user] = await database.db
    .insert(schema.users)
    .values({ email: 'old@example.com', passwordHash: 'x' })
    .returning();
  const id = user?.id ?? '';
  (await createUserKeys({ db: database.db, keys: ringV1 }).dataKeyFor(id)).fill(0);
  await assert.rejects(
    createUserKeys({ db: database.db, keys: ringOnlyV2 }).dataKeyFor(id),
    /retired|version/i,
  );
});

test('erasure: after the user is deleted, a copy of their ciphertext taken earlier cannot be decrypted', async () => {
  const [user] = await database.db
    .insert(schema.users)
    .values({ email: 'gone@example.com', passwordHash: 'x' })
    .returning();
  const id = user?.id ?? '';
  const keys = createUserKeys({ db: database.db, keys: ringV2 });
  const context = { userId: id, credentialId: 'c1', provider: 'digitalocean', purpose: 'cloud-credential' };
  const ciphertext = encryptCredential(await keys.dataKeyFor(id), Buffer.from('dop_v1_secret'), context);
  // The snapshot: the credentials table as a leaked copy or an old replica would hold it.
  const snapshot = Buffer.from(ciphertext);
  assert.equal(decryptCredential(await keys.dataKeyFor(id), snapshot, context).toString(), 'dop_v1_secret');

  await database.db.delete(schema.users).where(eq(schema.users.id, id));
  assert.equal((await database.query('select 1 from user_keys where user_id = $1', [id])).length, 0);
  // Everything the platform still has — the master key ring and the live database — yields no key for this user;
  // asking for one makes a new, different key, which cannot open the old ciphertext.
  await database.db.insert(schema.users).values({ id, email: 'gone@example.com', passwordHash: 'x' });
  const fresh = await keys.dataKeyFor(id);
  assert.throws(() => decryptCredential(fresh, snapshot, context), /decryption failed/);
  for (const candidate of [v1, v2]) assert.throws(() => decryptCredential(candidate, snapshot, context));
});
