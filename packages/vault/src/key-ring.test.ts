import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decryptCredential, encryptCredential, generateDataKey } from './data-key.ts';
import { FIXED_HEADER_LENGTH } from './envelope.ts';
import { createUserDataKey, KeyRing, needsRewrap, rewrapDataKey, type KeyProvider } from './key-ring.ts';
import { catchVault, flipBit, idArb, keyArb, sampleContext, vaultError } from './test-support.ts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const k3 = randomBytes(32);

function ring(keys: Array<[number, Buffer]>, minVersion?: number): KeyRing {
  return new KeyRing({ keys: new Map(keys), ...(minVersion === undefined ? {} : { minVersion }) });
}

describe('key ring', () => {
  test('wrap/unwrap round trip binds the user id (property)', () => {
    const r = ring([[1, k1]]);
    fc.assert(
      fc.property(keyArb, idArb, idArb, (dataKey, userId, otherUser) => {
        const wrapped = r.wrapDataKeySync(dataKey, userId);
        assert.deepEqual(r.unwrapDataKeySync(wrapped, userId), Buffer.from(dataKey));
        if (otherUser !== userId) catchVault(() => r.unwrapDataKeySync(wrapped, otherUser), 'vault.tampered');
      }),
      { numRuns: 1_000 },
    );
  });

  test('flipping any bit of a wrapped key is rejected (exhaustive)', () => {
    const r = ring([
      [1, k1],
      [2, k2],
    ]);
    const wrapped = r.wrapDataKeySync(generateDataKey(), 'alice');
    for (let bit = 0; bit < wrapped.length * 8; bit++) {
      const byte = bit >> 3;
      const codes =
        byte < FIXED_HEADER_LENGTH
          ? ([
              'vault.malformed',
              'vault.tampered',
              'vault.unknown_key_version',
              'vault.key_version_retired',
            ] as const)
          : (['vault.tampered'] as const);
      catchVault(() => r.unwrapDataKeySync(flipBit(wrapped, bit), 'alice'), ...codes);
    }
  });

  test('the wrap is bound to the master-key version even when two versions share a key', () => {
    const same = ring([
      [1, k1],
      [2, k1],
    ]);
    const wrapped = same.wrapDataKeySync(generateDataKey(), 'alice');
    assert.equal(wrapped.readUInt32BE(3), 2);
    const relabelled = Buffer.from(wrapped);
    relabelled.writeUInt32BE(1, 3);
    catchVault(() => same.unwrapDataKeySync(relabelled, 'alice'), 'vault.tampered');
  });

  test('raising minVersion refuses keys wrapped under older versions', async () => {
    const old = ring([[1, k1]]);
    const wrapped = await old.wrapDataKey(generateDataKey(), 'alice');
    const bumped = ring(
      [
        [1, k1],
        [2, k2],
      ],
      2,
    );
    await assert.rejects(bumped.unwrapDataKey(wrapped, 'alice'), (error) => {
      vaultError('vault.key_version_retired')(error);
      assert.match((error as Error).message, /version 1 is retired \(minVersion is 2\)/);
      return true;
    });
    // Retired even when the old key has been removed from the ring altogether.
    catchVault(() => ring([[2, k2]], 2).unwrapDataKeySync(wrapped, 'alice'), 'vault.key_version_retired');
  });

  test('an unknown version fails with a clear error', () => {
    const newer = ring([
      [1, k1],
      [2, k2],
    ]);
    const wrapped = newer.wrapDataKeySync(generateDataKey(), 'alice');
    const error = catchVault(
      () => ring([[1, k1]]).unwrapDataKeySync(wrapped, 'alice'),
      'vault.unknown_key_version',
    );
    assert.match(error.message, /master key version 2 is not in the key ring \(held: 1\)/);
  });

  test('rotation then rewrap moves every key to the newest version; rewrap is idempotent and resumable', async () => {
    const v1 = ring([[1, k1]]);
    const users = Array.from({ length: 10 }, (_, i) => `user-${i}`);
    const rows = new Map<string, { dataKey: Buffer; wrapped: Buffer }>();
    for (const userId of users) {
      const { dataKey, wrappedDataKey } = await createUserDataKey(v1, userId);
      rows.set(userId, { dataKey, wrapped: wrappedDataKey });
    }

    const v3 = ring([
      [1, k1],
      [2, k2],
      [3, k3],
    ]);
    assert.equal(v3.currentVersion(), 3);
    for (const row of rows.values()) assert.equal(v3.needsRewrap(row.wrapped), true);

    // First pass "crashes" half way.
    for (const userId of users.slice(0, 5)) {
      const row = rows.get(userId)!;
      row.wrapped = await v3.rewrapDataKey(row.wrapped, userId);
    }
    const afterCrash = new Map([...rows].map(([userId, row]) => [userId, row.wrapped]));
    // Second pass over everything.
    for (const userId of users) {
      const row = rows.get(userId)!;
      row.wrapped = await rewrapDataKey(v3, row.wrapped, userId);
    }
    for (const [userId, row] of rows) {
      assert.equal(v3.keyVersionOf(row.wrapped), 3);
      assert.equal(needsRewrap(v3, row.wrapped), false);
      assert.deepEqual(await v3.unwrapDataKey(row.wrapped, userId), row.dataKey);
      // Rows done before the crash were left untouched by the second pass.
      if (users.indexOf(userId) < 5) assert.equal(row.wrapped, afterCrash.get(userId));
      // Idempotent: rewrapping a current key returns the very same bytes.
      assert.equal(await v3.rewrapDataKey(row.wrapped, userId), row.wrapped);
    }

    // Only now can the minimum be raised; the rewrapped keys still open, the old ones do not.
    const retired = ring(
      [
        [1, k1],
        [2, k2],
        [3, k3],
      ],
      3,
    );
    for (const [userId, row] of rows)
      assert.deepEqual(retired.unwrapDataKeySync(row.wrapped, userId), row.dataKey);
    const stale = v1.wrapDataKeySync(generateDataKey(), 'late');
    catchVault(() => retired.unwrapDataKeySync(stale, 'late'), 'vault.key_version_retired');
    await assert.rejects(retired.rewrapDataKey(stale, 'late'), vaultError('vault.key_version_retired'));
  });

  test('a key newer than the ring is not reported as needing rewrap', () => {
    const newer = ring([
      [1, k1],
      [2, k2],
    ]);
    const wrapped = newer.wrapDataKeySync(generateDataKey(), 'alice');
    assert.equal(ring([[1, k1]]).needsRewrap(wrapped), false);
  });

  test('needsRewrap reads only the header and rejects non-wrapped-key bytes', () => {
    const r = ring([[1, k1]]);
    const credential = encryptCredential(generateDataKey(), Buffer.from('x'), sampleContext);
    catchVault(() => r.needsRewrap(credential), 'vault.malformed');
    catchVault(() => r.needsRewrap(Buffer.alloc(3)), 'vault.malformed');
  });

  test('validates its configuration', () => {
    catchVault(() => ring([]), 'vault.invalid_key_ring');
    catchVault(() => ring([[1, randomBytes(16)]]), 'vault.invalid_key_ring');
    catchVault(() => ring([[0, k1]]), 'vault.invalid_key_ring');
    catchVault(() => ring([[1.5, k1]]), 'vault.invalid_key_ring');
    catchVault(() => ring([[1, k1]], 2), 'vault.invalid_key_ring');
    catchVault(
      () =>
        new KeyRing({
          keys: [
            [1, k1],
            [1, k2],
          ],
        }),
      'vault.invalid_key_ring',
    );
    const r = ring([
      [2, k2],
      [5, k3],
    ]);
    assert.equal(r.currentVersion(), 5);
    assert.equal(r.minVersion, 2);
    assert.deepEqual(r.versions(), [2, 5]);
  });

  test('copies keys in and never reveals them through inspect or JSON', () => {
    const key = randomBytes(32);
    const encodings = [key.toString('hex'), key.toString('base64')];
    const r = ring([[1, key]]);
    const wrapped = r.wrapDataKeySync(generateDataKey(), 'alice');
    key.fill(0); // caller's buffer mutated: ring unaffected
    assert.doesNotThrow(() => r.unwrapDataKeySync(wrapped, 'alice'));
    const shown = `${inspect(r, { showHidden: true, depth: 10 })} ${JSON.stringify(r)}`;
    for (const encoded of encodings) assert.ok(!shown.includes(encoded));
    assert.match(shown, /"currentVersion":1/);
  });

  test('rejects invalid wrap arguments', () => {
    const r = ring([[1, k1]]);
    catchVault(() => r.wrapDataKeySync(randomBytes(31), 'alice'), 'vault.invalid_argument');
    catchVault(() => r.wrapDataKeySync(generateDataKey(), ''), 'vault.invalid_argument');
    catchVault(
      () => r.unwrapDataKeySync(r.wrapDataKeySync(generateDataKey(), 'a'), '\uDC00'),
      'vault.invalid_argument',
    );
  });

  test('any KeyProvider (e.g. a KMS stand-in) works with createUserDataKey / needsRewrap / rewrapDataKey', async () => {
    // A provider that forwards to a remote-looking service: async, counts calls.
    let calls = 0;
    let backend = ring([[1, k1]]);
    const provider: KeyProvider = {
      currentVersion: () => backend.currentVersion(),
      keyVersionOf: (wrapped) => backend.keyVersionOf(wrapped),
      wrapDataKey: async (dataKey, userId) => {
        calls++;
        return backend.wrapDataKey(dataKey, userId);
      },
      unwrapDataKey: async (wrapped, userId) => {
        calls++;
        return backend.unwrapDataKey(wrapped, userId);
      },
    };
    const { dataKey, wrappedDataKey } = await createUserDataKey(provider, 'alice');
    const envelope = encryptCredential(dataKey, Buffer.from('secret'), sampleContext);
    backend = ring([
      [1, k1],
      [2, k2],
    ]);
    assert.equal(needsRewrap(provider, wrappedDataKey), true);
    const rewrapped = await rewrapDataKey(provider, wrappedDataKey, 'alice');
    assert.equal(provider.keyVersionOf(rewrapped), 2);
    const before = calls;
    assert.equal(await rewrapDataKey(provider, rewrapped, 'alice'), rewrapped);
    assert.equal(calls, before, 'no provider call for an up-to-date key');
    const unwrapped = await provider.unwrapDataKey(rewrapped, 'alice');
    assert.equal(decryptCredential(unwrapped, envelope, sampleContext).toString(), 'secret');
  });
});
