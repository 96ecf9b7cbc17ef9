/**
 * The versioned, self-describing binary envelope used for every vault blob.
 *
 *   offset  size  field
 *   0       1     magic          0xCA
 *   1       1     kind           1 = credential ciphertext, 2 = master-wrapped data key, 3 = password-wrapped key
 *   2       1     format version 1
 *   3       4     key version    uint32 BE (kind 1: data-key version >= 1; kind 2: master-key version >= 1; kind 3: 0)
 *   7       1     nonce length   12
 *   8       1     tag length     16
 *   9       E     extension      kind-specific (kind 3: Argon2id parameters and salt, E = 28; otherwise E = 0)
 *   9+E     12    nonce
 *   21+E    16    GCM tag
 *   37+E    n     ciphertext     (kind 1: 0..1 MiB; kinds 2 and 3: exactly 32)
 *
 * Bytes 0..9+E (the "header") are part of the associated data of the GCM encryption, so a modified
 * header fails authentication even when it still parses.
 */
import { NONCE_LENGTH, TAG_LENGTH, fillNonce, KEY_LENGTH } from './aead.ts';
import { VaultError } from './errors.ts';

export const ENVELOPE_MAGIC = 0xca;
export const ENVELOPE_FORMAT_VERSION = 1;
export const FIXED_HEADER_LENGTH = 9;
export const MAX_KEY_VERSION = 0xffff_ffff;
export const MAX_CREDENTIAL_PLAINTEXT = 1024 * 1024;

export const EnvelopeKind = {
  credential: 1,
  wrappedDataKey: 2,
  passwordWrappedKey: 3,
} as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

/** Length of the kind-specific extension. */
export const PASSWORD_EXTENSION_LENGTH = 28;

interface KindRules {
  readonly name: string;
  readonly extensionLength: number;
  readonly minCiphertext: number;
  readonly maxCiphertext: number;
  readonly keyVersionZero: boolean;
}

const RULES: Record<EnvelopeKind, KindRules> = {
  1: {
    name: 'credential ciphertext',
    extensionLength: 0,
    minCiphertext: 0,
    maxCiphertext: MAX_CREDENTIAL_PLAINTEXT,
    keyVersionZero: false,
  },
  2: {
    name: 'wrapped data key',
    extensionLength: 0,
    minCiphertext: KEY_LENGTH,
    maxCiphertext: KEY_LENGTH,
    keyVersionZero: false,
  },
  3: {
    name: 'password-wrapped key',
    extensionLength: PASSWORD_EXTENSION_LENGTH,
    minCiphertext: KEY_LENGTH,
    maxCiphertext: KEY_LENGTH,
    keyVersionZero: true,
  },
};

export interface EnvelopeHeader {
  readonly kind: EnvelopeKind;
  readonly formatVersion: number;
  readonly keyVersion: number;
}

export interface Envelope extends EnvelopeHeader {
  /** Every byte before the nonce (fixed header + extension); authenticated as associated data. */
  readonly header: Buffer;
  readonly extension: Buffer;
  readonly nonce: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

function asBuffer(bytes: unknown): Buffer {
  if (!(bytes instanceof Uint8Array)) {
    throw new VaultError('vault.invalid_argument', 'envelope must be a Uint8Array');
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function malformed(message: string): VaultError {
  return new VaultError('vault.malformed', `malformed vault envelope: ${message}`);
}

function isKind(value: number): value is EnvelopeKind {
  return value === 1 || value === 2 || value === 3;
}

/**
 * Reads and validates the fixed 9-byte header without decrypting anything. Throws `vault.malformed`
 * for a short buffer, wrong magic, unknown kind or format version, or non-standard nonce/tag lengths.
 */
export function readEnvelopeHeader(bytes: Uint8Array): EnvelopeHeader {
  const buf = asBuffer(bytes);
  if (buf.length < FIXED_HEADER_LENGTH) throw malformed('truncated header');
  if (buf[0] !== ENVELOPE_MAGIC) throw malformed('bad magic byte');
  const kind = buf.readUInt8(1);
  if (!isKind(kind)) throw malformed(`unknown kind ${kind}`);
  const formatVersion = buf.readUInt8(2);
  if (formatVersion !== ENVELOPE_FORMAT_VERSION)
    throw malformed(`unsupported format version ${formatVersion}`);
  const keyVersion = buf.readUInt32BE(3);
  const rules = RULES[kind];
  if (rules.keyVersionZero ? keyVersion !== 0 : keyVersion === 0)
    throw malformed('invalid key version field');
  const nonceLength = buf.readUInt8(7);
  if (nonceLength !== NONCE_LENGTH)
    throw malformed(`nonce length must be ${NONCE_LENGTH}, got ${nonceLength}`);
  const tagLength = buf.readUInt8(8);
  if (tagLength !== TAG_LENGTH) throw malformed(`tag length must be ${TAG_LENGTH}, got ${tagLength}`);
  return { kind, formatVersion, keyVersion };
}

/** Strictly parses a complete envelope of `expectedKind`. Returned buffers are views into `bytes`. */
export function parseEnvelope(bytes: Uint8Array, expectedKind: EnvelopeKind): Envelope {
  const buf = asBuffer(bytes);
  const head = readEnvelopeHeader(buf);
  const rules = RULES[expectedKind];
  if (head.kind !== expectedKind) {
    throw malformed(`expected a ${rules.name}, got a ${RULES[head.kind].name}`);
  }
  const headerEnd = FIXED_HEADER_LENGTH + rules.extensionLength;
  const ciphertextStart = headerEnd + NONCE_LENGTH + TAG_LENGTH;
  if (buf.length < ciphertextStart) throw malformed('truncated');
  const ciphertextLength = buf.length - ciphertextStart;
  if (ciphertextLength < rules.minCiphertext || ciphertextLength > rules.maxCiphertext) {
    throw malformed(`ciphertext length ${ciphertextLength} is invalid for a ${rules.name}`);
  }
  return {
    ...head,
    header: buf.subarray(0, headerEnd),
    extension: buf.subarray(FIXED_HEADER_LENGTH, headerEnd),
    nonce: buf.subarray(headerEnd, headerEnd + NONCE_LENGTH),
    tag: buf.subarray(headerEnd + NONCE_LENGTH, ciphertextStart),
    ciphertext: buf.subarray(ciphertextStart),
  };
}

export interface EnvelopeDraft {
  readonly bytes: Buffer;
  readonly header: Buffer;
  readonly nonce: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

/**
 * Allocates an envelope, writes its header, extension and a fresh random nonce; the caller seals
 * into `tag` and `ciphertext` (views into `bytes`).
 */
export function draftEnvelope(
  kind: EnvelopeKind,
  keyVersion: number,
  extension: Uint8Array,
  ciphertextLength: number,
): EnvelopeDraft {
  const rules = RULES[kind];
  if (extension.length !== rules.extensionLength) throw new Error('internal: extension length');
  if (ciphertextLength < rules.minCiphertext || ciphertextLength > rules.maxCiphertext) {
    throw new Error('internal: ciphertext length');
  }
  if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > MAX_KEY_VERSION) {
    throw new Error('internal: key version');
  }
  const headerEnd = FIXED_HEADER_LENGTH + rules.extensionLength;
  const ciphertextStart = headerEnd + NONCE_LENGTH + TAG_LENGTH;
  const bytes = Buffer.alloc(ciphertextStart + ciphertextLength);
  bytes.writeUInt8(ENVELOPE_MAGIC, 0);
  bytes.writeUInt8(kind, 1);
  bytes.writeUInt8(ENVELOPE_FORMAT_VERSION, 2);
  bytes.writeUInt32BE(keyVersion, 3);
  bytes.writeUInt8(NONCE_LENGTH, 7);
  bytes.writeUInt8(TAG_LENGTH, 8);
  bytes.set(extension, FIXED_HEADER_LENGTH);
  const nonce = bytes.subarray(headerEnd, headerEnd + NONCE_LENGTH);
  fillNonce(nonce);
  return {
    bytes,
    header: bytes.subarray(0, headerEnd),
    nonce,
    tag: bytes.subarray(headerEnd + NONCE_LENGTH, ciphertextStart),
    ciphertext: bytes.subarray(ciphertextStart),
  };
}
