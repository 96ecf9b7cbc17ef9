/**
 * Key-ring serialisations: the JSON document used by the key-ring file and the
 * `CLAW_MASTER_KEYS="1:<base64>,2:<base64>"` environment form for server deployments.
 * Error messages name versions and fields, never key material or the raw input.
 */
import { KEY_LENGTH } from './aead.ts';
import { MAX_KEY_VERSION } from './envelope.ts';
import { VaultError } from './errors.ts';
import { KeyRing } from './key-ring.ts';

export const KEY_RING_FILE_FORMAT = 1;
export const MASTER_KEYS_ENV = 'CLAW_MASTER_KEYS';
export const MASTER_KEYS_MIN_VERSION_ENV = 'CLAW_MASTER_KEYS_MIN_VERSION';

/** Parsed key-ring document; internal to the package (key bytes must not travel further). */
export interface KeyRingDocument {
  minVersion: number;
  keys: Map<number, Buffer>;
}

// Standard base64 of exactly 32 bytes: 43 characters and one '=' of padding.
const KEY_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const VERSION = /^[1-9][0-9]{0,9}$/;

function invalid(message: string): VaultError {
  return new VaultError('vault.invalid_key_ring', message);
}

function parseVersion(text: string, what: string): number {
  const version = VERSION.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(version) || version > MAX_KEY_VERSION) {
    throw invalid(`${what} must be an integer in 1..${MAX_KEY_VERSION}`);
  }
  return version;
}

function decodeKey(text: unknown, version: number): Buffer {
  if (typeof text !== 'string' || !KEY_BASE64.test(text)) {
    throw invalid(`master key version ${version} must be standard base64 of exactly ${KEY_LENGTH} bytes`);
  }
  const key = Buffer.alloc(KEY_LENGTH);
  key.set(Buffer.from(text, 'base64'));
  return key;
}

export function encodeKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
}

/** Parses `{"format":1,"minVersion":1,"keys":{"1":"<base64>"}}` strictly (unknown fields are refused). */
export function parseKeyRingDocument(json: string): KeyRingDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // No cause: JSON.parse messages can quote the input, which holds keys.
    throw invalid('key ring is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('key ring must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (field !== 'format' && field !== 'minVersion' && field !== 'keys') {
      throw invalid(`unknown key ring field "${field.slice(0, 40)}"`);
    }
  }
  if (record.format !== KEY_RING_FILE_FORMAT) {
    throw invalid(`unsupported key ring format (expected ${KEY_RING_FILE_FORMAT})`);
  }
  if (typeof record.minVersion !== 'number') throw invalid('minVersion must be a number');
  const minVersion = parseVersion(String(record.minVersion), 'minVersion');
  const keysValue = record.keys;
  if (typeof keysValue !== 'object' || keysValue === null || Array.isArray(keysValue)) {
    throw invalid('keys must be an object mapping version to base64 key');
  }
  const keys = new Map<number, Buffer>();
  for (const [versionText, keyText] of Object.entries(keysValue)) {
    const version = parseVersion(versionText, 'key version');
    keys.set(version, decodeKey(keyText, version));
  }
  if (keys.size === 0) throw invalid('key ring holds no keys');
  validateDocument({ minVersion, keys });
  return { minVersion, keys };
}

export function validateDocument(doc: KeyRingDocument): KeyRing {
  return new KeyRing({ keys: doc.keys, minVersion: doc.minVersion });
}

export function serializeKeyRingDocument(doc: KeyRingDocument): string {
  const keys: Record<string, string> = {};
  for (const version of [...doc.keys.keys()].sort((a, b) => a - b)) {
    const key = doc.keys.get(version);
    if (key) keys[String(version)] = encodeKey(key);
  }
  return `${JSON.stringify({ format: KEY_RING_FILE_FORMAT, minVersion: doc.minVersion, keys }, null, 2)}\n`;
}

/** Builds a key ring from the JSON document format of the key-ring file. */
export function parseKeyRing(json: string): KeyRing {
  return validateDocument(parseKeyRingDocument(json));
}

/**
 * Builds a key ring from `"1:<base64>,2:<base64>"` (whitespace around entries is ignored).
 * `minVersion` defaults to the lowest version listed.
 */
export function parseKeyRingEnv(value: string, options: { minVersion?: number } = {}): KeyRing {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${MASTER_KEYS_ENV} is empty`);
  const keys = new Map<number, Buffer>();
  for (const entry of value.split(',')) {
    const trimmed = entry.trim();
    const colon = trimmed.indexOf(':');
    if (colon < 0) throw invalid(`${MASTER_KEYS_ENV} entries must look like <version>:<base64 key>`);
    const version = parseVersion(trimmed.slice(0, colon).trim(), 'key version');
    if (keys.has(version)) throw invalid(`master key version ${version} is defined twice`);
    keys.set(version, decodeKey(trimmed.slice(colon + 1).trim(), version));
  }
  return new KeyRing({
    keys,
    ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
  });
}

/**
 * Reads `CLAW_MASTER_KEYS` (and optional `CLAW_MASTER_KEYS_MIN_VERSION`) from `env`.
 * Returns undefined when `CLAW_MASTER_KEYS` is unset, so the caller can fall back to the key-ring file.
 */
export function keyRingFromEnv(env: Record<string, string | undefined> = process.env): KeyRing | undefined {
  const value = env[MASTER_KEYS_ENV];
  if (value === undefined) return undefined;
  const min = env[MASTER_KEYS_MIN_VERSION_ENV];
  return parseKeyRingEnv(
    value,
    min === undefined ? {} : { minVersion: parseVersion(min.trim(), MASTER_KEYS_MIN_VERSION_ENV) },
  );
}
