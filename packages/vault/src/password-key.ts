/**
 * Optional password protection: a key wrapped under a key derived from the user's password with
 * Argon2id (kind 3 envelopes). The KDF parameters and salt live in the envelope, so they can be
 * raised later without losing the ability to open older envelopes.
 */
import { hashRaw, type Algorithm, type Version } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { buildAad, KEY_LENGTH, open, requireId, requireKey, sealInto } from './aead.ts';
import { draftEnvelope, EnvelopeKind, parseEnvelope, PASSWORD_EXTENSION_LENGTH } from './envelope.ts';
import { VaultError } from './errors.ts';

export interface PasswordKdfParams {
  /** Memory in KiB. */
  readonly memoryCost: number;
  /** Passes over memory. */
  readonly timeCost: number;
  /** Lanes. */
  readonly parallelism: number;
}

/** Floor enforced on wrap and unwrap (OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane). */
export const PASSWORD_KDF_MINIMUM: PasswordKdfParams = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** Parameters used when the caller does not pass any. */
export const PASSWORD_KDF_DEFAULT: PasswordKdfParams = Object.freeze({
  memoryCost: 65536,
  timeCost: 3,
  parallelism: 1,
});

/** Ceiling accepted from an envelope, so a forged header cannot make unwrap allocate without bound. */
export const PASSWORD_KDF_MAXIMUM: PasswordKdfParams = Object.freeze({
  memoryCost: 1024 * 1024,
  timeCost: 64,
  parallelism: 16,
});

export const PASSWORD_SALT_LENGTH = 16;
export const MAX_PASSWORD_BYTES = 4096;

const ALGORITHM_ARGON2ID = 2;
const ARGON2_VERSION_0X13 = 0x13;
const PASSWORD_DOMAIN = 'claw-vault/password-wrapped-key/v1';

export interface PasswordUnwrapOptions {
  /** Raise the accepted minimum above {@link PASSWORD_KDF_MINIMUM} (never lowers it). */
  readonly minimum?: PasswordKdfParams;
}

function checkParams(params: PasswordKdfParams, minimum: PasswordKdfParams): void {
  const fields = ['memoryCost', 'timeCost', 'parallelism'] as const;
  for (const field of fields) {
    const value = params[field];
    if (!Number.isInteger(value) || value > PASSWORD_KDF_MAXIMUM[field]) {
      throw new VaultError(
        'vault.invalid_argument',
        `${field} must be an integer no greater than ${PASSWORD_KDF_MAXIMUM[field]}`,
      );
    }
    if (value < minimum[field]) {
      throw new VaultError(
        'vault.weak_kdf_params',
        `Argon2id ${field} ${value} is below the minimum ${minimum[field]}`,
      );
    }
  }
}

function effectiveMinimum(minimum: PasswordKdfParams | undefined): PasswordKdfParams {
  if (!minimum) return PASSWORD_KDF_MINIMUM;
  return {
    memoryCost: Math.max(minimum.memoryCost, PASSWORD_KDF_MINIMUM.memoryCost),
    timeCost: Math.max(minimum.timeCost, PASSWORD_KDF_MINIMUM.timeCost),
    parallelism: Math.max(minimum.parallelism, PASSWORD_KDF_MINIMUM.parallelism),
  };
}

/** Strings are NFC-normalised and UTF-8 encoded (part of format version 1); bytes are used as given. */
function passwordBytes(password: string | Uint8Array): Buffer {
  let bytes: Buffer;
  if (typeof password === 'string') {
    if (!password.isWellFormed())
      throw new VaultError('vault.invalid_argument', 'password must be well-formed Unicode');
    bytes = Buffer.from(password.normalize('NFC'), 'utf8');
  } else if (password instanceof Uint8Array) {
    bytes = Buffer.from(password);
  } else {
    throw new VaultError('vault.invalid_argument', 'password must be a string or Uint8Array');
  }
  if (bytes.length === 0 || bytes.length > MAX_PASSWORD_BYTES) {
    bytes.fill(0);
    throw new VaultError('vault.invalid_argument', `password must be 1..${MAX_PASSWORD_BYTES} bytes`);
  }
  return bytes;
}

async function deriveKey(password: Buffer, params: PasswordKdfParams, salt: Uint8Array): Promise<Buffer> {
  try {
    const key = await hashRaw(password, {
      algorithm: ALGORITHM_ARGON2ID as Algorithm,
      version: 1 as Version, // Version.V0x13
      memoryCost: params.memoryCost,
      timeCost: params.timeCost,
      parallelism: params.parallelism,
      outputLen: KEY_LENGTH,
      salt,
    });
    if (key.length !== KEY_LENGTH) throw new Error('unexpected key length');
    return key;
  } catch {
    throw new VaultError('vault.kdf_failed', 'Argon2id key derivation failed');
  } finally {
    password.fill(0);
  }
}

function encodeExtension(params: PasswordKdfParams, salt: Uint8Array): Buffer {
  const ext = Buffer.alloc(PASSWORD_EXTENSION_LENGTH);
  ext.writeUInt8(ALGORITHM_ARGON2ID, 0);
  ext.writeUInt8(ARGON2_VERSION_0X13, 1);
  ext.writeUInt32BE(params.memoryCost, 2);
  ext.writeUInt32BE(params.timeCost, 6);
  ext.writeUInt8(params.parallelism, 10);
  ext.writeUInt8(PASSWORD_SALT_LENGTH, 11);
  ext.set(salt, 12);
  return ext;
}

function decodeExtension(ext: Buffer): { params: PasswordKdfParams; salt: Buffer } {
  if (ext.length !== PASSWORD_EXTENSION_LENGTH) throw new Error('internal: extension length');
  const malformed = (what: string) => new VaultError('vault.malformed', `malformed vault envelope: ${what}`);
  if (ext.readUInt8(0) !== ALGORITHM_ARGON2ID) throw malformed('unknown password KDF');
  if (ext.readUInt8(1) !== ARGON2_VERSION_0X13) throw malformed('unknown Argon2 version');
  if (ext.readUInt8(11) !== PASSWORD_SALT_LENGTH)
    throw malformed(`salt length must be ${PASSWORD_SALT_LENGTH}`);
  const params = {
    memoryCost: ext.readUInt32BE(2),
    timeCost: ext.readUInt32BE(6),
    parallelism: ext.readUInt8(10),
  };
  for (const field of ['memoryCost', 'timeCost', 'parallelism'] as const) {
    if (params[field] > PASSWORD_KDF_MAXIMUM[field]) throw malformed(`Argon2id ${field} exceeds the maximum`);
  }
  return { params, salt: ext.subarray(12) };
}

/**
 * Wraps a 32-byte key under Argon2id(password, random 16-byte salt), bound to `userId`.
 * Async: Argon2 runs off the main thread.
 */
export async function wrapKeyWithPassword(
  key: Uint8Array,
  password: string | Uint8Array,
  userId: string,
  params: PasswordKdfParams = PASSWORD_KDF_DEFAULT,
): Promise<Buffer> {
  requireKey('key', key);
  requireId('userId', userId);
  checkParams(params, PASSWORD_KDF_MINIMUM);
  const salt = randomBytes(PASSWORD_SALT_LENGTH);
  const draft = draftEnvelope(EnvelopeKind.passwordWrappedKey, 0, encodeExtension(params, salt), KEY_LENGTH);
  const kek = await deriveKey(passwordBytes(password), params, salt);
  try {
    sealInto(
      kek,
      draft.nonce,
      key,
      buildAad(draft.header, PASSWORD_DOMAIN, [userId]),
      draft.tag,
      draft.ciphertext,
    );
  } finally {
    kek.fill(0);
  }
  return draft.bytes;
}

/**
 * Unwraps a password-wrapped key. A wrong password (or any modification, or another userId) fails
 * with `vault.tampered`; parameters below the minimum fail with `vault.weak_kdf_params` before any
 * derivation is attempted.
 */
export async function unwrapKeyWithPassword(
  envelope: Uint8Array,
  password: string | Uint8Array,
  userId: string,
  options: PasswordUnwrapOptions = {},
): Promise<Buffer> {
  requireId('userId', userId);
  const parsed = parseEnvelope(envelope, EnvelopeKind.passwordWrappedKey);
  const { params, salt } = decodeExtension(parsed.extension);
  checkParams(params, effectiveMinimum(options.minimum));
  const kek = await deriveKey(passwordBytes(password), params, salt);
  try {
    return open(
      kek,
      parsed.nonce,
      parsed.tag,
      parsed.ciphertext,
      buildAad(parsed.header, PASSWORD_DOMAIN, [userId]),
    );
  } finally {
    kek.fill(0);
  }
}

/** The Argon2id parameters recorded in a password-wrapped envelope (no derivation). */
export function passwordKdfParams(envelope: Uint8Array): PasswordKdfParams {
  return decodeExtension(parseEnvelope(envelope, EnvelopeKind.passwordWrappedKey).extension).params;
}

/** True when any recorded parameter is below `target`: unwrap with the password and wrap again. */
export function passwordWrapNeedsUpgrade(
  envelope: Uint8Array,
  target: PasswordKdfParams = PASSWORD_KDF_DEFAULT,
): boolean {
  const params = passwordKdfParams(envelope);
  return (
    params.memoryCost < target.memoryCost ||
    params.timeCost < target.timeCost ||
    params.parallelism < target.parallelism
  );
}
