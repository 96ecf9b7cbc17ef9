export { VaultError, isVaultError, type VaultErrorCode } from './errors.ts';
export { KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH, MAX_ID_BYTES } from './aead.ts';
export {
  ENVELOPE_MAGIC,
  ENVELOPE_FORMAT_VERSION,
  EnvelopeKind,
  FIXED_HEADER_LENGTH,
  MAX_CREDENTIAL_PLAINTEXT,
  MAX_KEY_VERSION,
  PASSWORD_EXTENSION_LENGTH,
  parseEnvelope,
  readEnvelopeHeader,
  type Envelope,
  type EnvelopeHeader,
} from './envelope.ts';
export {
  generateDataKey,
  encryptCredential,
  decryptCredential,
  credentialDataKeyVersion,
  type CredentialContext,
  type EncryptCredentialOptions,
} from './data-key.ts';
export {
  KeyRing,
  needsRewrap,
  rewrapDataKey,
  createUserDataKey,
  type KeyProvider,
  type KeyRingOptions,
} from './key-ring.ts';
export {
  KEY_RING_FILE_FORMAT,
  MASTER_KEYS_ENV,
  MASTER_KEYS_MIN_VERSION_ENV,
  parseKeyRing,
  parseKeyRingEnv,
  keyRingFromEnv,
} from './key-ring-config.ts';
export {
  openKeyRingFile,
  rotateKeyRingFile,
  setMinVersion,
  type OpenKeyRingFileResult,
} from './key-ring-file.ts';
export {
  PASSWORD_KDF_MINIMUM,
  PASSWORD_KDF_DEFAULT,
  PASSWORD_KDF_MAXIMUM,
  PASSWORD_SALT_LENGTH,
  MAX_PASSWORD_BYTES,
  wrapKeyWithPassword,
  unwrapKeyWithPassword,
  passwordKdfParams,
  passwordWrapNeedsUpgrade,
  type PasswordKdfParams,
  type PasswordUnwrapOptions,
} from './password-key.ts';
