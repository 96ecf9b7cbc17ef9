import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  credentialDataKeyVersion,
  decryptCredential,
  encryptCredential,
  generateDataKey,
} from './data-key.ts';
import { FIXED_HEADER_LENGTH, MAX_CREDENTIAL_PLAINTEXT } from './envelope.ts';
import { NONCE_LENGTH, TAG_LENGTH } from './aead.ts';
import { catchVault, contextArb, flipBit, keyArb, sampleContext, vaultError } from './test-support.ts';

const FIELDS = ['userId', 'credentialId', 'provider', 'purpose'] as const;

describe('credential encryption', () => {
  test('10,000 random round trips', () => {
    fc.assert(
      fc.property(keyArb, fc.uint8Array({ maxLength: 48 }), contextArb, (key, plaintext, context) => {
        const envelope = encryptCredential(key, plaintext, context);
        assert.equal(envelope.length, FIXED_HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH + plaintext.length);
        assert.deepEqual(decryptCredential(key, envelope, context), Buffer.from(plaintext));
      }),
      { numRuns: 10_000 },
    );
  });

  test('flipping any bit of any field is rejected (exhaustive over one envelope)', () => {
    const key = generateDataKey();
    const envelope = encryptCredential(key, Buffer.from('sk-test-0123456789'), sampleContext);
    for (let bit = 0; bit < envelope.length * 8; bit++) {
      const byte = bit >> 3;
      // Header bytes may fail structurally (malformed) or only in authentication (e.g. key version);
      // nonce, tag and ciphertext bits can only fail authentication.
      const codes =
        byte < FIXED_HEADER_LENGTH
          ? (['vault.malformed', 'vault.tampered'] as const)
          : (['vault.tampered'] as const);
      catchVault(() => decryptCredential(key, flipBit(envelope, bit), sampleContext), ...codes);
    }
  });

  test('flipping a random bit of random envelopes is rejected (property)', () => {
    fc.assert(
      fc.property(
        keyArb,
        fc.uint8Array({ maxLength: 32 }),
        contextArb,
        fc.nat(),
        (key, plaintext, context, seed) => {
          const envelope = encryptCredential(key, plaintext, context);
          catchVault(() => decryptCredential(key, flipBit(envelope, seed % (envelope.length * 8)), context));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  test('swapping any associated-data field (user, credential, provider, purpose) is rejected', () => {
    const key = generateDataKey();
    const envelope = encryptCredential(key, Buffer.from('secret'), sampleContext);
    for (const field of FIELDS) {
      const moved = { ...sampleContext, [field]: `${sampleContext[field]}-other` };
      catchVault(() => decryptCredential(key, envelope, moved), 'vault.tampered');
    }
    // Field boundaries are length-prefixed: shifting characters between fields does not collide.
    catchVault(
      () => decryptCredential(key, envelope, { ...sampleContext, userId: 'user-1c', credentialId: 'red-1' }),
      'vault.tampered',
    );
  });

  test('any different context is rejected (property)', () => {
    fc.assert(
      fc.property(keyArb, contextArb, contextArb, (key, a, b) => {
        fc.pre(FIELDS.some((field) => a[field] !== b[field]));
        const envelope = encryptCredential(key, Buffer.from('token'), a);
        catchVault(() => decryptCredential(key, envelope, b), 'vault.tampered');
      }),
      { numRuns: 2_000 },
    );
  });

  test('a blob moved to another user with a different data key is rejected', () => {
    const alice = generateDataKey();
    const bob = generateDataKey();
    const envelope = encryptCredential(alice, Buffer.from('secret'), sampleContext);
    catchVault(() => decryptCredential(bob, envelope, { ...sampleContext, userId: 'bob' }), 'vault.tampered');
    catchVault(() => decryptCredential(bob, envelope, sampleContext), 'vault.tampered');
  });

  test('2^16 + 1 encryptions never repeat a nonce', () => {
    const key = generateDataKey();
    const plaintext = Buffer.from('x');
    const count = 2 ** 16 + 1;
    const nonces = new Set<string>();
    for (let i = 0; i < count; i++) {
      const envelope = encryptCredential(key, plaintext, sampleContext);
      nonces.add(envelope.toString('latin1', FIXED_HEADER_LENGTH, FIXED_HEADER_LENGTH + NONCE_LENGTH));
    }
    assert.equal(nonces.size, count);
  });

  test('records the data-key version in the header', () => {
    const key = generateDataKey();
    assert.equal(credentialDataKeyVersion(encryptCredential(key, Buffer.alloc(0), sampleContext)), 1);
    const v7 = encryptCredential(key, Buffer.from('a'), sampleContext, { dataKeyVersion: 7 });
    assert.equal(credentialDataKeyVersion(v7), 7);
    assert.deepEqual(decryptCredential(key, v7, sampleContext), Buffer.from('a'));
  });

  test('empty plaintext round-trips', () => {
    const key = generateDataKey();
    assert.equal(
      decryptCredential(key, encryptCredential(key, new Uint8Array(0), sampleContext), sampleContext).length,
      0,
    );
  });

  test('rejects invalid arguments', () => {
    const key = generateDataKey();
    const text = Buffer.from('p');
    catchVault(() => encryptCredential(randomBytes(31), text, sampleContext), 'vault.invalid_argument');
    catchVault(
      () => encryptCredential(key, text, { ...sampleContext, userId: '' }),
      'vault.invalid_argument',
    );
    catchVault(
      () => encryptCredential(key, text, { ...sampleContext, provider: 'a\uD800' }),
      'vault.invalid_argument',
    );
    catchVault(
      () => encryptCredential(key, text, { ...sampleContext, purpose: 'x'.repeat(1025) }),
      'vault.invalid_argument',
    );
    catchVault(
      () => encryptCredential(key, Buffer.alloc(MAX_CREDENTIAL_PLAINTEXT + 1), sampleContext),
      'vault.invalid_argument',
    );
    catchVault(
      () => encryptCredential(key, text, sampleContext, { dataKeyVersion: 0 }),
      'vault.invalid_argument',
    );
    catchVault(
      () => encryptCredential(key, 'text' as unknown as Uint8Array, sampleContext),
      'vault.invalid_argument',
    );
    const envelope = encryptCredential(key, text, sampleContext);
    catchVault(() => decryptCredential(randomBytes(16), envelope, sampleContext), 'vault.invalid_argument');
  });

  test('error messages never contain the plaintext or the key', () => {
    const key = generateDataKey();
    const secret = 'sk-live-DO-NOT-LEAK-123456';
    const envelope = encryptCredential(key, Buffer.from(secret), sampleContext);
    const error = catchVault(() =>
      decryptCredential(key, flipBit(envelope, envelope.length * 8 - 1), sampleContext),
    );
    const rendered = `${error.message} ${String(error.stack)} ${String(error.cause)}`;
    assert.ok(!rendered.includes(secret));
    assert.ok(!rendered.includes(key.toString('hex')) && !rendered.includes(key.toString('base64')));
    assert.equal(error.cause, undefined);
  });

  test('decryption never returns partial output for truncated envelopes', () => {
    const key = generateDataKey();
    const envelope = encryptCredential(key, Buffer.from('a longer secret value'), sampleContext);
    for (let length = 0; length < envelope.length; length++) {
      assert.throws(
        () => decryptCredential(key, envelope.subarray(0, length), sampleContext),
        vaultError('vault.malformed', 'vault.tampered'),
      );
    }
  });
});
