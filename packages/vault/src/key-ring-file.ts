/**
 * The embedded default's key ring lives in a JSON file readable only by its owner:
 *   {"format":1,"minVersion":1,"keys":{"1":"<base64 of 32 random bytes>"}}
 * Created on first use (directory 0700, file 0600, exclusive and atomic), replaced atomically
 * (temp file + rename) on rotation, and refused when group or others can access it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { KEY_LENGTH } from './aead.ts';
import { MAX_KEY_VERSION } from './envelope.ts';
import { VaultError } from './errors.ts';
import type { KeyRing } from './key-ring.ts';
import {
  parseKeyRingDocument,
  serializeKeyRingDocument,
  validateDocument,
  type KeyRingDocument,
} from './key-ring-config.ts';

export interface OpenKeyRingFileResult {
  readonly keyRing: KeyRing;
  /** True when this call created the file (first run). */
  readonly created: boolean;
  /** Absolute path of the file. */
  readonly path: string;
}

const MAX_FILE_BYTES = 1024 * 1024;
const CHECK_MODE = process.platform !== 'win32';

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function ioError(action: string, path: string, error: unknown): VaultError {
  if (error instanceof VaultError) return error;
  return new VaultError(
    'vault.io',
    `cannot ${action} key ring file ${path} (${errnoCode(error) ?? 'error'})`,
    {
      cause: error,
    },
  );
}

/** Reads the file, refusing anything but a regular file with no group/other permission bits. */
async function readSecure(path: string): Promise<KeyRingDocument> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw ioError('open', path, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new VaultError('vault.invalid_key_ring', `key ring path ${path} is not a regular file`);
    if (CHECK_MODE && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new VaultError(
        'vault.insecure_key_file',
        `key ring file ${path} is accessible by group or others (mode ${mode}); restrict it with: chmod 600 ${path}`,
      );
    }
    if (stat.size > MAX_FILE_BYTES)
      throw new VaultError('vault.invalid_key_ring', `key ring file ${path} is too large`);
    const text = await handle.readFile({ encoding: 'utf8' });
    try {
      return parseKeyRingDocument(text);
    } catch (error) {
      if (error instanceof VaultError) {
        throw new VaultError(error.code, `key ring file ${path}: ${error.message}`);
      }
      throw error;
    }
  } catch (error) {
    throw ioError('read', path, error);
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  if (!CHECK_MODE) return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: some filesystems do not support fsync on directories.
  }
}

/** Writes `contents` to a new 0600 file at `target`, failing with EEXIST if it exists. */
async function writeExclusive(target: string, contents: string): Promise<void> {
  const handle = await open(target, 'wx', 0o600);
  try {
    if (CHECK_MODE) await handle.chmod(0o600); // independent of the umask
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tempPath(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Atomically replaces `path` with `doc` (temp file in the same directory, fsync, rename). */
async function replaceAtomically(path: string, doc: KeyRingDocument): Promise<void> {
  const temp = tempPath(path);
  try {
    await writeExclusive(temp, serializeKeyRingDocument(doc));
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw ioError('write', path, error);
  }
  await syncDirectory(dirname(path));
}

/**
 * Creates the file atomically and exclusively: the complete file is written under a temporary name
 * and hard-linked into place, which fails if the file already exists, so a concurrent reader never
 * sees a partial file and two first starts cannot both create keys. Returns false if another
 * process created it first.
 */
async function createExclusive(path: string, doc: KeyRingDocument): Promise<boolean> {
  const dir = dirname(path);
  try {
    const made = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (made !== undefined && CHECK_MODE) await chmod(dir, 0o700);
  } catch (error) {
    throw ioError('create the directory of', path, error);
  }
  const contents = serializeKeyRingDocument(doc);
  const temp = tempPath(path);
  try {
    await writeExclusive(temp, contents);
    try {
      await link(temp, path);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      // Filesystem without hard links: exclusive create of the final name (still never overwrites).
      try {
        await writeExclusive(path, contents);
      } catch (fallbackError) {
        if (errnoCode(fallbackError) === 'EEXIST') return false;
        throw fallbackError;
      }
    }
  } catch (error) {
    throw ioError('create', path, error);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDirectory(dir);
  return true;
}

/**
 * Serialises read-modify-write operations with an exclusive lock file, so two concurrent rotations
 * cannot silently drop each other's new key.
 */
async function withLock<T>(path: string, action: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  let handle: FileHandle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') {
      throw new VaultError(
        'vault.key_ring_busy',
        `key ring file ${path} is locked by another operation (${lockPath}); if no other process is running, delete the lock file`,
      );
    }
    throw ioError('lock', path, error);
  }
  try {
    try {
      await handle.writeFile(`${process.pid}\n`, 'utf8');
    } finally {
      await handle.close();
    }
    return await action();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

function newKey(): Buffer {
  return randomBytes(KEY_LENGTH);
}

/**
 * Loads the key ring from `path`, or creates it with one random key (version 1) when it does not
 * exist. Refuses a file that group or others can access.
 */
export async function openKeyRingFile(path: string): Promise<OpenKeyRingFileResult> {
  const absolute = resolve(path);
  try {
    return { keyRing: validateDocument(await readSecure(absolute)), created: false, path: absolute };
  } catch (error) {
    if (!(error instanceof VaultError && error.code === 'vault.io' && errnoCode(error.cause) === 'ENOENT')) {
      throw error;
    }
  }
  const doc: KeyRingDocument = { minVersion: 1, keys: new Map([[1, newKey()]]) };
  if (await createExclusive(absolute, doc)) {
    return { keyRing: validateDocument(doc), created: true, path: absolute };
  }
  // Lost a creation race: use the file the other process wrote.
  return { keyRing: validateDocument(await readSecure(absolute)), created: false, path: absolute };
}

/**
 * Adds a new random master key as version current+1 (older versions stay usable) and returns the
 * new version. Re-open the file (or restart) to use it; then rewrap data keys, then raise minVersion.
 */
export async function rotateKeyRingFile(path: string): Promise<number> {
  const absolute = resolve(path);
  return withLock(absolute, async () => {
    const doc = await readSecure(absolute);
    const version = Math.max(...doc.keys.keys()) + 1;
    if (version > MAX_KEY_VERSION) throw new VaultError('vault.invalid_key_ring', 'no key versions left');
    doc.keys.set(version, newKey());
    validateDocument(doc);
    await replaceAtomically(absolute, doc);
    return version;
  });
}

/**
 * Raises the key ring's minVersion (it can never be lowered through this function, and can be at most
 * the current version). Data keys wrapped under older versions are refused afterwards, so rewrap first.
 * Returns the updated key ring.
 */
export async function setMinVersion(path: string, minVersion: number): Promise<KeyRing> {
  const absolute = resolve(path);
  return withLock(absolute, async () => {
    const doc = await readSecure(absolute);
    const current = Math.max(...doc.keys.keys());
    if (!Number.isInteger(minVersion) || minVersion < doc.minVersion || minVersion > current) {
      throw new VaultError(
        'vault.invalid_argument',
        `minVersion must be an integer from the present minimum ${doc.minVersion} to the current version ${current}`,
      );
    }
    if (minVersion === doc.minVersion) return validateDocument(doc);
    const updated: KeyRingDocument = { minVersion, keys: doc.keys };
    const keyRing = validateDocument(updated);
    await replaceAtomically(absolute, updated);
    return keyRing;
  });
}
