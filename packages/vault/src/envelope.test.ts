import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { open } from './aead.ts';
import { decryptCredential, encryptCredential, generateDataKey } from './data-key.ts';
import {
  ENVELOPE_MAGIC,
  EnvelopeKind,
  FIXED_HEADER_LENGTH,
  parseEnvelope,
  readEnvelopeHeader,
} from './envelope.ts';
import { VaultError } from './errors.ts';
import { KeyRing } from './key-ring.ts';
import { catchVault, sampleContext } from './test-support.ts';

const key = generateDataKey();
const ring = new KeyRing({ keys: new Map([[1, randomBytes(32)]]) });
const credential = encryptCredential(key, Buffer.from('0123456789abcdef'), sampleContext, {
  dataKeyVersion: 0x01020304,
});
const wrapped = ring.wrapDataKeySync(generateDataKey(), 'user-1');

function withByte(bytes: Uint8Array, index: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = value;
  return copy;
}

describe('envelope layout', () => {
  test('matches the documented byte layout', () => {
    assert.equal(credential[0], ENVELOPE_MAGIC);
    assert.equal(credential[1], EnvelopeKind.credential);
    assert.equal(credential[2], 1);
    assert.equal(credential.readUInt32BE(3), 0x01020304);
    assert.equal(credential[7], 12);
    assert.equal(credential[8], 16);
    assert.equal(credential.length, 9 + 12 + 16 + 16);
    const parsed = parseEnvelope(credential, EnvelopeKind.credential);
    assert.deepEqual(parsed.nonce, credential.subarray(9, 21));
    assert.deepEqual(parsed.tag, credential.subarray(21, 37));
    assert.deepEqual(parsed.ciphertext, credential.subarray(37));

    assert.equal(wrapped[1], EnvelopeKind.wrappedDataKey);
    assert.equal(wrapped.readUInt32BE(3), 1);
    assert.equal(wrapped.length, 9 + 12 + 16 + 32);
    assert.deepEqual(readEnvelopeHeader(wrapped), { kind: 2, formatVersion: 1, keyVersion: 1 });
  });

  test('decrypts with plain node:crypto using the documented associated data', () => {
    // AAD = header || lp("claw-vault/credential/v1") || lp(userId) || lp(credentialId) || lp(provider) || lp(purpose)
    const lp = (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    };
    const { userId, credentialId, provider, purpose } = sampleContext;
    const aad = Buffer.concat([
      credential.subarray(0, 9),
      ...['claw-vault/credential/v1', userId, credentialId, provider, purpose].map(lp),
    ]);
    const decipher = createDecipheriv('aes-256-gcm', key, credential.subarray(9, 21), { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(credential.subarray(21, 37));
    const plaintext = Buffer.concat([decipher.update(credential.subarray(37)), decipher.final()]);
    assert.equal(plaintext.toString(), '0123456789abcdef');
  });
});

describe('strict parsing', () => {
  test('unknown format versions are refused', () => {
    for (let version = 0; version < 256; version++) {
      if (version === 1) continue;
      const error = catchVault(
        () => decryptCredential(key, withByte(credential, 2, version), sampleContext),
        'vault.malformed',
      );
      assert.match(error.message, /format version/);
    }
  });

  test('bad magic and unknown kinds are refused', () => {
    for (let magic = 0; magic < 256; magic++) {
      if (magic === ENVELOPE_MAGIC) continue;
      catchVault(() => readEnvelopeHeader(withByte(credential, 0, magic)), 'vault.malformed');
    }
    for (const kind of [0, 4, 5, 0x80, 0xff]) {
      catchVault(() => readEnvelopeHeader(withByte(credential, 1, kind)), 'vault.malformed');
    }
  });

  test('an envelope of another kind is refused', () => {
    catchVault(() => decryptCredential(key, wrapped, sampleContext), 'vault.malformed');
    catchVault(() => ring.unwrapDataKeySync(credential, 'user-1'), 'vault.malformed');
  });

  test('nonce and tag length fields other than 12 and 16 are refused', () => {
    for (let value = 0; value < 256; value++) {
      if (value !== 12)
        catchVault(
          () => decryptCredential(key, withByte(credential, 7, value), sampleContext),
          'vault.malformed',
        );
      if (value !== 16)
        catchVault(
          () => decryptCredential(key, withByte(credential, 8, value), sampleContext),
          'vault.malformed',
        );
    }
  });

  test('an envelope re-encoded with a shorter nonce or tag is refused', () => {
    const shortNonce = Buffer.concat([
      withByte(credential.subarray(0, 9), 7, 8),
      credential.subarray(9, 17),
      credential.subarray(21),
    ]);
    catchVault(() => decryptCredential(key, shortNonce, sampleContext), 'vault.malformed');
    const shortTag = Buffer.concat([
      withByte(credential.subarray(0, 9), 8, 12),
      credential.subarray(9, 33),
      credential.subarray(37),
    ]);
    catchVault(() => decryptCredential(key, shortTag, sampleContext), 'vault.malformed');
  });

  test('a truncated tag (first 12 of 16 bytes) is refused by the GCM layer, not accepted as a short tag', () => {
    const parsed = parseEnvelope(credential, EnvelopeKind.credential);
    const error = catchVault(
      () => open(key, parsed.nonce, parsed.tag.subarray(0, 12), parsed.ciphertext, Buffer.alloc(0)),
      'vault.malformed',
    );
    assert.match(error.message, /tag must be 16 bytes/);
    catchVault(
      () => open(key, parsed.nonce.subarray(0, 8), parsed.tag, parsed.ciphertext, Buffer.alloc(0)),
      'vault.malformed',
    );
    // node:crypto itself refuses a short tag once authTagLength is 16 (defence in depth).
    const decipher = createDecipheriv('aes-256-gcm', key, randomBytes(12), { authTagLength: 16 });
    assert.throws(() => decipher.setAuthTag(randomBytes(12)));
  });

  test('wrapped data keys have an exact length: any truncation or extension is malformed', () => {
    for (let length = 0; length < wrapped.length; length++) {
      catchVault(() => ring.unwrapDataKeySync(wrapped.subarray(0, length), 'user-1'), 'vault.malformed');
    }
    catchVault(
      () => ring.unwrapDataKeySync(Buffer.concat([wrapped, Buffer.alloc(1)]), 'user-1'),
      'vault.malformed',
    );
  });

  test('header shorter than 9 bytes is malformed', () => {
    for (let length = 0; length < FIXED_HEADER_LENGTH; length++) {
      catchVault(() => readEnvelopeHeader(credential.subarray(0, length)), 'vault.malformed');
    }
  });

  test('non-byte input is an invalid argument, not a crash', () => {
    catchVault(() => readEnvelopeHeader('abc' as unknown as Uint8Array), 'vault.invalid_argument');
    catchVault(
      () => decryptCredential(key, null as unknown as Uint8Array, sampleContext),
      'vault.invalid_argument',
    );
  });

  test('random bytes never crash or decrypt: only VaultError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (bytes, startValid) => {
        if (startValid && bytes.length >= 3) {
          bytes[0] = ENVELOPE_MAGIC;
          bytes[1] = 1 + (bytes[1]! % 3);
          bytes[2] = 1;
        }
        for (const attempt of [
          () => decryptCredential(key, bytes, sampleContext),
          () => ring.unwrapDataKeySync(bytes, 'user-1'),
          () => ring.needsRewrap(bytes),
        ]) {
          try {
            attempt();
            assert.fail('random bytes were accepted');
          } catch (error) {
            assert.ok(error instanceof VaultError, String(error));
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });

  test('random edits of a valid envelope are rejected (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('xor', 'insert', 'delete')),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (edits) => {
          const bytes = [...credential];
          for (const [position, value, op] of edits) {
            const index = position % (bytes.length + 1);
            if (op === 'insert') bytes.splice(index, 0, value);
            else if (op === 'delete' && bytes.length > 0) bytes.splice(index % bytes.length, 1);
            else if (bytes.length > 0) bytes[index % bytes.length]! ^= value;
          }
          const edited = Buffer.from(bytes);
          fc.pre(!edited.equals(credential));
          catchVault(() => decryptCredential(key, edited, sampleContext));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  test('a hand-built GCM envelope with a 12-byte tag cannot be passed off as valid', () => {
    // Encrypt the same plaintext with node:crypto using a 96-bit tag and splice it into our layout.
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 12 });
    const ciphertext = Buffer.concat([cipher.update(Buffer.from('hi')), cipher.final()]);
    const forged = Buffer.concat([
      withByte(credential.subarray(0, 9), 8, 12),
      nonce,
      cipher.getAuthTag(),
      ciphertext,
    ]);
    catchVault(() => decryptCredential(key, forged, sampleContext), 'vault.malformed');
  });
});
