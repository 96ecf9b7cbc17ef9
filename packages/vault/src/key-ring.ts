/**
 * Master keys: a versioned key ring that wraps per-user data keys (kind 2 envelopes), and the
 * `KeyProvider` seam through which a KMS can replace it.
 */
import { inspect } from 'node:util';
import { buildAad, KEY_LENGTH, open, requireId, requireKey, sealInto } from './aead.ts';
import { generateDataKey } from './data-key.ts';
import { draftEnvelope, EnvelopeKind, MAX_KEY_VERSION, parseEnvelope } from './envelope.ts';
import { VaultError } from './errors.ts';

/**
 * Wraps and unwraps per-user data keys under a master key. `KeyRing` is the local implementation;
 * a KMS-backed implementation can be substituted (see docs/decisions/0003-vault-envelope-encryption.md).
 */
export interface KeyProvider {
  /** The master-key version new wraps use. Synchronous: an implementation knows it from its configuration. */
  currentVersion(): number;
  /** The master-key version a wrapped key was made with, read from its header without unwrapping. */
  keyVersionOf(wrapped: Uint8Array): number;
  /** Wraps a 32-byte data key for `userId` under the current master-key version. */
  wrapDataKey(dataKey: Uint8Array, userId: string): Promise<Buffer>;
  /** Unwraps a data key; fails unless `userId` and the master-key version match what it was wrapped with. */
  unwrapDataKey(wrapped: Uint8Array, userId: string): Promise<Buffer>;
}

export interface KeyRingOptions {
  /** Master keys by version (positive integers); each exactly 32 bytes. The highest version is current. */
  readonly keys: ReadonlyMap<number, Uint8Array> | Iterable<readonly [number, Uint8Array]>;
  /** Versions below this are refused on unwrap. Defaults to the lowest version present. */
  readonly minVersion?: number;
}

const WRAP_DOMAIN = 'claw-vault/wrapped-data-key/v1';

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_KEY_VERSION;
}

/** Immutable set of master keys. Key bytes are copied in and never exposed (not even by inspect/JSON). */
export class KeyRing implements KeyProvider {
  readonly #keys = new Map<number, Buffer>();
  readonly #current: number;
  readonly #min: number;

  constructor(options: KeyRingOptions) {
    for (const [version, key] of options.keys) {
      if (!isVersion(version)) {
        throw new VaultError('vault.invalid_key_ring', 'key versions must be integers in 1..2^32-1');
      }
      if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
        throw new VaultError(
          'vault.invalid_key_ring',
          `master key version ${version} must be ${KEY_LENGTH} bytes`,
        );
      }
      if (this.#keys.has(version)) {
        throw new VaultError('vault.invalid_key_ring', `master key version ${version} is defined twice`);
      }
      const copy = Buffer.alloc(KEY_LENGTH); // private, unpooled copy
      copy.set(key);
      this.#keys.set(version, copy);
    }
    if (this.#keys.size === 0) throw new VaultError('vault.invalid_key_ring', 'key ring holds no keys');
    const versions = [...this.#keys.keys()];
    this.#current = Math.max(...versions);
    const min = options.minVersion ?? Math.min(...versions);
    if (!isVersion(min) || min > this.#current) {
      throw new VaultError(
        'vault.invalid_key_ring',
        `minVersion must be an integer between 1 and the current version ${this.#current}`,
      );
    }
    this.#min = min;
  }

  /** Unwrapping keys wrapped under a lower version is refused with `vault.key_version_retired`. */
  get minVersion(): number {
    return this.#min;
  }

  currentVersion(): number {
    return this.#current;
  }

  /** Versions held, ascending (including retired ones still present). */
  versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  hasVersion(version: number): boolean {
    return this.#keys.has(version);
  }

  keyVersionOf(wrapped: Uint8Array): number {
    return parseEnvelope(wrapped, EnvelopeKind.wrappedDataKey).keyVersion;
  }

  wrapDataKeySync(dataKey: Uint8Array, userId: string): Buffer {
    requireKey('dataKey', dataKey);
    requireId('userId', userId);
    const version = this.#current;
    const masterKey = this.#keys.get(version);
    if (!masterKey) throw new Error('internal: current key missing');
    const draft = draftEnvelope(EnvelopeKind.wrappedDataKey, version, new Uint8Array(0), KEY_LENGTH);
    sealInto(
      masterKey,
      draft.nonce,
      dataKey,
      buildAad(draft.header, WRAP_DOMAIN, [userId]),
      draft.tag,
      draft.ciphertext,
    );
    return draft.bytes;
  }

  unwrapDataKeySync(wrapped: Uint8Array, userId: string): Buffer {
    requireId('userId', userId);
    const parsed = parseEnvelope(wrapped, EnvelopeKind.wrappedDataKey);
    const version = parsed.keyVersion;
    if (version < this.#min) {
      throw new VaultError(
        'vault.key_version_retired',
        `master key version ${version} is retired (minVersion is ${this.#min}); the data key must have been rewrapped before the minimum was raised`,
      );
    }
    const masterKey = this.#keys.get(version);
    if (!masterKey) {
      throw new VaultError(
        'vault.unknown_key_version',
        `master key version ${version} is not in the key ring (held: ${this.versions().join(', ')})`,
      );
    }
    return open(
      masterKey,
      parsed.nonce,
      parsed.tag,
      parsed.ciphertext,
      buildAad(parsed.header, WRAP_DOMAIN, [userId]),
    );
  }

  async wrapDataKey(dataKey: Uint8Array, userId: string): Promise<Buffer> {
    return this.wrapDataKeySync(dataKey, userId);
  }

  async unwrapDataKey(wrapped: Uint8Array, userId: string): Promise<Buffer> {
    return this.unwrapDataKeySync(wrapped, userId);
  }

  /** See the free function {@link needsRewrap}. */
  needsRewrap(wrapped: Uint8Array): boolean {
    return needsRewrap(this, wrapped);
  }

  /** See the free function {@link rewrapDataKey}. */
  rewrapDataKey(wrapped: Uint8Array, userId: string): Promise<Buffer> {
    return rewrapDataKey(this, wrapped, userId);
  }

  toJSON(): { versions: number[]; currentVersion: number; minVersion: number } {
    return { versions: this.versions(), currentVersion: this.#current, minVersion: this.#min };
  }

  [inspect.custom](): string {
    return `KeyRing ${JSON.stringify(this.toJSON())}`;
  }
}

/**
 * True when `wrapped` was made under an older master-key version than the provider's current one.
 * Reads the header only. A version newer than current (e.g. another instance already rotated) is
 * not "older", so it returns false.
 */
export function needsRewrap(provider: KeyProvider, wrapped: Uint8Array): boolean {
  return provider.keyVersionOf(wrapped) < provider.currentVersion();
}

/**
 * Re-wraps a data key under the provider's current master-key version. When the key is already
 * current it returns `wrapped` itself (same object, nothing decrypted), so a caller looping over
 * rows can stop and restart at any point: the operation is idempotent and resumable. Must run
 * before `minVersion` is raised past the old version, otherwise unwrapping fails as retired.
 */
export async function rewrapDataKey(
  provider: KeyProvider,
  wrapped: Uint8Array,
  userId: string,
): Promise<Buffer> {
  if (!needsRewrap(provider, wrapped)) {
    return Buffer.isBuffer(wrapped)
      ? wrapped
      : Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  }
  const dataKey = await provider.unwrapDataKey(wrapped, userId);
  try {
    return await provider.wrapDataKey(dataKey, userId);
  } finally {
    dataKey.fill(0);
  }
}

/** Creates a fresh random data key for a user and its wrapped form (store only `wrappedDataKey`). */
export async function createUserDataKey(
  provider: KeyProvider,
  userId: string,
): Promise<{ dataKey: Buffer; wrappedDataKey: Buffer }> {
  const dataKey = generateDataKey();
  return { dataKey, wrappedDataKey: await provider.wrapDataKey(dataKey, userId) };
}
