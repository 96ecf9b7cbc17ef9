import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateDataKey } from './data-key.ts';
import { FIXED_HEADER_LENGTH, readEnvelopeHeader } from './envelope.ts';
import {
  PASSWORD_KDF_DEFAULT,
  PASSWORD_KDF_MINIMUM,
  passwordKdfParams,
  passwordWrapNeedsUpgrade,
  unwrapKeyWithPassword,
  wrapKeyWithPassword,
} from './password-key.ts';
import { catchVault, flipBit, vaultError } from './test-support.ts';

// Tests use the enforced minimum (the cheapest legal setting) to stay fast.
const FAST = PASSWORD_KDF_MINIMUM;
const EXT = FIXED_HEADER_LENGTH; // extension offset: alg, ver, m(4), t(4), p, saltLen, salt(16)

describe('password-wrapped keys', async () => {
  const dataKey = generateDataKey();
  const wrapped = await wrapKeyWithPassword(dataKey, 'correct horse battery staple', 'alice', FAST);

  test('records the Argon2id parameters and a random 16-byte salt in the envelope', async () => {
    assert.deepEqual(readEnvelopeHeader(wrapped), { kind: 3, formatVersion: 1, keyVersion: 0 });
    assert.equal(wrapped.length, 9 + 28 + 12 + 16 + 32);
    assert.deepEqual(passwordKdfParams(wrapped), { memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.equal(wrapped[EXT], 2); // Argon2id
    assert.equal(wrapped[EXT + 1], 0x13);
    assert.equal(wrapped[EXT + 11], 16);
    assert.equal(passwordWrapNeedsUpgrade(wrapped), true);
    assert.equal(passwordWrapNeedsUpgrade(wrapped, FAST), false);
    assert.ok(PASSWORD_KDF_DEFAULT.memoryCost >= PASSWORD_KDF_MINIMUM.memoryCost);
  });

  test('the right password unwraps', async () => {
    assert.deepEqual(await unwrapKeyWithPassword(wrapped, 'correct horse battery staple', 'alice'), dataKey);
  });

  test('a wrong password fails as tampered', async () => {
    await assert.rejects(
      unwrapKeyWithPassword(wrapped, 'correct horse battery stapler', 'alice'),
      (error) => {
        vaultError('vault.tampered')(error);
        assert.ok(!(error as Error).message.includes('stapl'));
        return true;
      },
    );
  });

  test('another user id fails as tampered', async () => {
    await assert.rejects(
      unwrapKeyWithPassword(wrapped, 'correct horse battery staple', 'bob'),
      vaultError('vault.tampered'),
    );
  });

  test('parameters below the minimum are refused on wrap', async () => {
    for (const weak of [
      { ...FAST, memoryCost: FAST.memoryCost - 1 },
      { ...FAST, timeCost: 1 },
      { ...FAST, parallelism: 0 },
    ]) {
      await assert.rejects(
        wrapKeyWithPassword(dataKey, 'pw', 'alice', weak),
        vaultError('vault.weak_kdf_params'),
      );
    }
    await assert.rejects(
      wrapKeyWithPassword(dataKey, 'pw', 'alice', { ...FAST, memoryCost: 2 ** 31 }),
      vaultError('vault.invalid_argument'),
    );
  });

  test('an envelope whose parameters were lowered is refused', async () => {
    const weakened = Buffer.from(wrapped);
    weakened.writeUInt32BE(8, EXT + 2); // m = 8 KiB
    await assert.rejects(
      unwrapKeyWithPassword(weakened, 'correct horse battery staple', 'alice'),
      vaultError('vault.weak_kdf_params'),
    );
    const oneIteration = Buffer.from(wrapped);
    oneIteration.writeUInt32BE(1, EXT + 6);
    await assert.rejects(
      unwrapKeyWithPassword(oneIteration, 'x', 'alice'),
      vaultError('vault.weak_kdf_params'),
    );
  });

  test('a caller-raised minimum refuses older, cheaper envelopes', async () => {
    await assert.rejects(
      unwrapKeyWithPassword(wrapped, 'correct horse battery staple', 'alice', {
        minimum: PASSWORD_KDF_DEFAULT,
      }),
      vaultError('vault.weak_kdf_params'),
    );
  });

  test('raised parameters are recorded and honoured', async () => {
    const stronger = { memoryCost: 20480, timeCost: 3, parallelism: 2 };
    const envelope = await wrapKeyWithPassword(dataKey, 'pw', 'alice', stronger);
    assert.deepEqual(passwordKdfParams(envelope), stronger);
    assert.deepEqual(await unwrapKeyWithPassword(envelope, 'pw', 'alice'), dataKey);
    // Raising a parameter in the header (still legal) is caught by authentication.
    const edited = Buffer.from(envelope);
    edited.writeUInt32BE(4, EXT + 6);
    await assert.rejects(unwrapKeyWithPassword(edited, 'pw', 'alice'), vaultError('vault.tampered'));
  });

  test('structural fields and oversized parameters are refused without derivation', async () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 1], // key version must be 0
      [7, 8],
      [8, 12],
      [EXT, 1], // Argon2i
      [EXT + 1, 0x10],
      [EXT + 11, 8], // salt length
      [EXT + 10, 200], // parallelism above maximum
    ];
    for (const [index, value] of cases) {
      const edited = Buffer.from(wrapped);
      edited[index] = value;
      await assert.rejects(unwrapKeyWithPassword(edited, 'pw', 'alice'), vaultError('vault.malformed'));
    }
    const huge = Buffer.from(wrapped);
    huge.writeUInt32BE(0x8000_0000, EXT + 2);
    await assert.rejects(unwrapKeyWithPassword(huge, 'pw', 'alice'), vaultError('vault.malformed'));
    catchVault(() => passwordKdfParams(wrapped.subarray(0, wrapped.length - 1)), 'vault.malformed');
  });

  test('flipping a bit in the salt, nonce, tag or ciphertext is rejected', async () => {
    const saltBit = (EXT + 12) * 8 + 5;
    const nonceBit = (EXT + 28) * 8 + 1;
    const tagBit = (EXT + 28 + 12) * 8 + 7;
    const ciphertextBit = wrapped.length * 8 - 3;
    for (const bit of [saltBit, nonceBit, tagBit, ciphertextBit]) {
      await assert.rejects(
        unwrapKeyWithPassword(flipBit(wrapped, bit), 'correct horse battery staple', 'alice'),
        vaultError('vault.tampered'),
      );
    }
  });

  test('string passwords are NFC-normalised; empty or ill-formed passwords are refused', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const envelope = await wrapKeyWithPassword(dataKey, composed, 'alice', FAST);
    assert.deepEqual(await unwrapKeyWithPassword(envelope, decomposed, 'alice'), dataKey);
    await assert.rejects(
      wrapKeyWithPassword(dataKey, '', 'alice', FAST),
      vaultError('vault.invalid_argument'),
    );
    await assert.rejects(
      wrapKeyWithPassword(dataKey, '\uD800', 'alice', FAST),
      vaultError('vault.invalid_argument'),
    );
    await assert.rejects(
      wrapKeyWithPassword(dataKey.subarray(1), 'pw', 'alice', FAST),
      vaultError('vault.invalid_argument'),
    );
  });
});
