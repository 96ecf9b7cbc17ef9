/**
 * Crypto-shredding: once a user's wrapped data key is deleted, nothing that remains (master keys,
 * other users' keys, the ciphertext itself, the user id) opens that user's credentials.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decryptCredential, encryptCredential } from './data-key.ts';
import { createUserDataKey, KeyRing } from './key-ring.ts';
import { catchVault, sampleContext } from './test-support.ts';

test('deleting the wrapped data key makes the ciphertext unrecoverable with the master key alone', async () => {
  const masters = new Map([
    [1, randomBytes(32)],
    [2, randomBytes(32)],
  ]);
  const ring = new KeyRing({ keys: masters });
  const alice = { ...sampleContext, userId: 'alice' };
  const bob = { ...sampleContext, userId: 'bob' };

  const aliceKeys = await createUserDataKey(ring, alice.userId);
  const bobKeys = await createUserDataKey(ring, bob.userId);
  const envelope = encryptCredential(aliceKeys.dataKey, Buffer.from('sk-alice-secret'), alice);
  const bobEnvelope = encryptCredential(bobKeys.dataKey, Buffer.from('sk-bob-secret'), bob);

  // Before erasure the normal path works.
  const unwrapped = await ring.unwrapDataKey(aliceKeys.wrappedDataKey, alice.userId);
  assert.equal(decryptCredential(unwrapped, envelope, alice).toString(), 'sk-alice-secret');

  // Erase: the wrapped key row is deleted; the in-memory copies are gone with the request.
  const aliceDataKey = Buffer.from(aliceKeys.dataKey);
  aliceKeys.dataKey.fill(0);
  unwrapped.fill(0);

  // Everything an attacker holding the master keys and the rest of the database could build.
  const remaining: Buffer[] = [Buffer.alloc(32), Buffer.alloc(32, 0xff)];
  const ids = [alice.userId, alice.credentialId, alice.provider, alice.purpose, bob.userId];
  for (const master of masters.values()) {
    remaining.push(master, createHash('sha256').update(master).digest());
    for (const id of ids) {
      remaining.push(
        createHash('sha256').update(master).update(id).digest(),
        createHash('sha256').update(id).update(master).digest(),
        createHmac('sha256', master).update(id).digest(),
        Buffer.from(hkdfSync('sha256', master, Buffer.from(id), Buffer.alloc(0), 32)),
        Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from(id), 32)),
        pbkdf2Sync(master, id, 1000, 32, 'sha256'),
        pbkdf2Sync(master, id, 100_000, 32, 'sha512'),
      );
    }
  }
  remaining.push(await ring.unwrapDataKey(bobKeys.wrappedDataKey, bob.userId)); // another user's data key
  for (const blob of [envelope, bobEnvelope, bobKeys.wrappedDataKey]) {
    for (let offset = 0; offset + 32 <= blob.length; offset++)
      remaining.push(Buffer.from(blob.subarray(offset, offset + 32)));
  }

  for (const candidate of remaining) {
    assert.ok(!candidate.equals(aliceDataKey), 'the data key must not be derivable from remaining material');
    catchVault(() => decryptCredential(candidate, envelope, alice), 'vault.tampered');
  }
  // The key ring cannot be coaxed into treating other material as Alice's wrapped key.
  await assert.rejects(ring.unwrapDataKey(bobKeys.wrappedDataKey, alice.userId), { code: 'vault.tampered' });
  await assert.rejects(ring.unwrapDataKey(envelope, alice.userId), { code: 'vault.malformed' });

  // Bob is unaffected.
  const bobKey = await ring.unwrapDataKey(bobKeys.wrappedDataKey, bob.userId);
  assert.equal(decryptCredential(bobKey, bobEnvelope, bob).toString(), 'sk-bob-secret');
});
