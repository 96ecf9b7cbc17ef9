/**
 * Credential encryption under a per-user data key (kind 1 envelopes).
 */
import { randomBytes } from 'node:crypto';
import { buildAad, KEY_LENGTH, open, requireId, requireKey, sealInto } from './aead.ts';
import {
  draftEnvelope,
  EnvelopeKind,
  MAX_CREDENTIAL_PLAINTEXT,
  MAX_KEY_VERSION,
  parseEnvelope,
  readEnvelopeHeader,
} from './envelope.ts';
import { VaultError } from './errors.ts';

/**
 * Where a credential ciphertext belongs. All four fields are bound into the associated data, so a
 * blob copied to another user, row, provider or purpose fails to decrypt.
 */
export interface CredentialContext {
  readonly userId: string;
  readonly credentialId: string;
  readonly provider: string;
  readonly purpose: string;
}

export interface EncryptCredentialOptions {
  /**
   * Version of the user's data key, recorded in the envelope header (default 1). Lets a later
   * per-user data-key rotation find the right key; it is authenticated but not interpreted here.
   */
  readonly dataKeyVersion?: number;
}

const CREDENTIAL_DOMAIN = 'claw-vault/credential/v1';

/** A fresh random 256-bit data key. Data keys are never derived, so erasing the wrapped copy erases them. */
export function generateDataKey(): Buffer {
  return randomBytes(KEY_LENGTH);
}

function credentialFields(context: CredentialContext): string[] {
  if (typeof context !== 'object' || context === null) {
    throw new VaultError('vault.invalid_argument', 'context must be an object');
  }
  requireId('userId', context.userId);
  requireId('credentialId', context.credentialId);
  requireId('provider', context.provider);
  requireId('purpose', context.purpose);
  return [context.userId, context.credentialId, context.provider, context.purpose];
}

/** Encrypts `plaintext` with AES-256-GCM under `dataKey`, bound to `context`. Returns a kind-1 envelope. */
export function encryptCredential(
  dataKey: Uint8Array,
  plaintext: Uint8Array,
  context: CredentialContext,
  options: EncryptCredentialOptions = {},
): Buffer {
  requireKey('dataKey', dataKey);
  if (!(plaintext instanceof Uint8Array)) {
    throw new VaultError('vault.invalid_argument', 'plaintext must be a Uint8Array');
  }
  if (plaintext.length > MAX_CREDENTIAL_PLAINTEXT) {
    throw new VaultError('vault.invalid_argument', `plaintext exceeds ${MAX_CREDENTIAL_PLAINTEXT} bytes`);
  }
  const dataKeyVersion = options.dataKeyVersion ?? 1;
  if (!Number.isInteger(dataKeyVersion) || dataKeyVersion < 1 || dataKeyVersion > MAX_KEY_VERSION) {
    throw new VaultError('vault.invalid_argument', 'dataKeyVersion must be an integer in 1..2^32-1');
  }
  const fields = credentialFields(context);
  const draft = draftEnvelope(EnvelopeKind.credential, dataKeyVersion, new Uint8Array(0), plaintext.length);
  sealInto(
    dataKey,
    draft.nonce,
    plaintext,
    buildAad(draft.header, CREDENTIAL_DOMAIN, fields),
    draft.tag,
    draft.ciphertext,
  );
  return draft.bytes;
}

/**
 * Decrypts a kind-1 envelope. Throws `vault.malformed` for a structurally invalid envelope and
 * `vault.tampered` when the key, the context or any byte is wrong. Never returns partial output.
 */
export function decryptCredential(
  dataKey: Uint8Array,
  envelope: Uint8Array,
  context: CredentialContext,
): Buffer {
  requireKey('dataKey', dataKey);
  const fields = credentialFields(context);
  const parsed = parseEnvelope(envelope, EnvelopeKind.credential);
  return open(
    dataKey,
    parsed.nonce,
    parsed.tag,
    parsed.ciphertext,
    buildAad(parsed.header, CREDENTIAL_DOMAIN, fields),
  );
}

/** The data-key version recorded in a credential envelope's header (no decryption). */
export function credentialDataKeyVersion(envelope: Uint8Array): number {
  const header = readEnvelopeHeader(envelope);
  if (header.kind !== EnvelopeKind.credential) {
    throw new VaultError('vault.malformed', 'malformed vault envelope: not a credential ciphertext');
  }
  return header.keyVersion;
}
