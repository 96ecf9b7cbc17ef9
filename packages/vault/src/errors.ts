/**
 * Every failure the vault reports is a `VaultError` with a stable `code`.
 *
 * Messages are written for operators: they may name a key version, a file path or a length, but never
 * contain plaintext, key material, passwords or raw envelope bytes. Errors thrown by node:crypto or
 * JSON.parse are deliberately NOT attached as `cause` when they could echo secret input.
 */
export type VaultErrorCode =
  /** The bytes are not a well-formed envelope of the expected kind (bad magic, unknown format version, wrong lengths, truncation). */
  | 'vault.malformed'
  /** Authentication failed: wrong key, wrong password, wrong associated data (row/user/provider/purpose), or modified bytes. */
  | 'vault.tampered'
  /** The envelope names a master-key version the key ring does not hold. */
  | 'vault.unknown_key_version'
  /** The envelope names a master-key version below the key ring's `minVersion`. */
  | 'vault.key_version_retired'
  /** A caller passed an invalid argument (wrong key length, empty id, lone surrogate, ...). */
  | 'vault.invalid_argument'
  /** Password-KDF parameters are below the enforced minimum. */
  | 'vault.weak_kdf_params'
  /** The password key derivation itself failed (e.g. out of memory). */
  | 'vault.kdf_failed'
  /** A key-ring file, JSON document or env string is invalid. */
  | 'vault.invalid_key_ring'
  /** The key-ring file is accessible by group or others. */
  | 'vault.insecure_key_file'
  /** Another process holds the key-ring file lock. */
  | 'vault.key_ring_busy'
  /** Reading or writing the key-ring file failed. */
  | 'vault.io';

export class VaultError extends Error {
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultError';
    this.code = code;
  }
}

export function isVaultError(value: unknown, code?: VaultErrorCode): value is VaultError {
  return value instanceof VaultError && (code === undefined || value.code === code);
}
