/**
 * AES-256-GCM primitives and associated-data encoding shared by every envelope kind.
 * Internal module: the public API is in data-key.ts, key-ring.ts and password-key.ts.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { VaultError } from './errors.ts';

export const KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
/** Longest identifier (UTF-8 bytes) accepted in associated data. */
export const MAX_ID_BYTES = 1024;

export function requireKey(name: string, key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new VaultError('vault.invalid_argument', `${name} must be a ${KEY_LENGTH}-byte Uint8Array`);
  }
}

/**
 * Identifiers become associated data. Lone surrogates are refused because UTF-8 encoding would map
 * distinct strings to the same bytes (U+FFFD) and so to the same binding.
 */
export function requireId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new VaultError('vault.invalid_argument', `${name} must be a non-empty string`);
  }
  if (!value.isWellFormed()) {
    throw new VaultError('vault.invalid_argument', `${name} must be well-formed Unicode`);
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_ID_BYTES) {
    throw new VaultError('vault.invalid_argument', `${name} must be at most ${MAX_ID_BYTES} UTF-8 bytes`);
  }
}

/**
 * Associated data = envelope header bytes || lp(domain) || lp(field_1) || ... where lp(s) is a
 * 4-byte big-endian length followed by the UTF-8 bytes. Length prefixes make the encoding injective,
 * so ("ab","c") and ("a","bc") never collide.
 */
export function buildAad(header: Uint8Array, domain: string, fields: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(header.buffer, header.byteOffset, header.byteLength)];
  for (const field of [domain, ...fields]) {
    const bytes = Buffer.from(field, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length, 0);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}

/** Fills `target` with a fresh random 96-bit nonce (never reused: one CSPRNG draw per encryption). */
export function fillNonce(target: Uint8Array): void {
  if (target.length !== NONCE_LENGTH) throw new Error('internal: nonce buffer has wrong length');
  randomFillSync(target);
}

/** Encrypts `plaintext`, writing the tag into `tagOut` and the ciphertext into `ciphertextOut`. */
export function sealInto(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  tagOut: Uint8Array,
  ciphertextOut: Uint8Array,
): void {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  if (head.length + tail.length !== ciphertextOut.length) throw new Error('internal: ciphertext length');
  ciphertextOut.set(head, 0);
  ciphertextOut.set(tail, head.length);
  const tag = cipher.getAuthTag();
  if (tag.length !== TAG_LENGTH || tagOut.length !== TAG_LENGTH) throw new Error('internal: tag length');
  tagOut.set(tag);
}

/**
 * Decrypts and authenticates. Returns the plaintext only after the tag verified; on failure any
 * partially decrypted bytes are zeroed and a `vault.tampered` error is thrown.
 */
export function open(
  key: Uint8Array,
  nonce: Uint8Array,
  tag: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Buffer {
  if (nonce.length !== NONCE_LENGTH) {
    throw new VaultError('vault.malformed', `nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
  if (tag.length !== TAG_LENGTH) {
    throw new VaultError(
      'vault.malformed',
      `authentication tag must be ${TAG_LENGTH} bytes, got ${tag.length}`,
    );
  }
  let head: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    head = decipher.update(ciphertext);
    const tail = decipher.final();
    if (tail.length === 0) return head;
    const out = Buffer.concat([head, tail]);
    head.fill(0);
    tail.fill(0);
    return out;
  } catch {
    // Deliberately no `cause`: keep crypto internals out of logs; the message carries no input bytes.
    head?.fill(0);
    throw new VaultError(
      'vault.tampered',
      'decryption failed: wrong key or associated data, or modified bytes',
    );
  }
}
