import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generateDataKey } from './data-key.ts';
import { openKeyRingFile, rotateKeyRingFile, setMinVersion } from './key-ring-file.ts';
import { vaultError } from './test-support.ts';

const posix = process.platform !== 'win32';
const root = await mkdtemp(join(tmpdir(), 'claw-vault-'));
after(() => rm(root, { recursive: true, force: true }));

let counter = 0;
function freshPath(): string {
  counter++;
  return join(root, `case-${counter}`, 'secrets', 'master-keys.json');
}

describe('key-ring file', { skip: !posix && 'POSIX permissions only' }, () => {
  test('first open creates the file 0600 in a 0700 directory with one 32-byte key', async () => {
    const path = freshPath();
    const { keyRing, created, path: resolved } = await openKeyRingFile(path);
    assert.equal(created, true);
    assert.equal(resolved, path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(path, '..'))).mode & 0o777, 0o700);
    const json = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(Object.keys(json), ['format', 'minVersion', 'keys']);
    assert.equal(json.format, 1);
    assert.equal(json.minVersion, 1);
    assert.deepEqual(Object.keys(json.keys), ['1']);
    assert.equal(Buffer.from(json.keys['1'], 'base64').length, 32);
    assert.equal(keyRing.currentVersion(), 1);
    assert.deepEqual(await readdir(join(path, '..')), ['master-keys.json'], 'no temp files left behind');
  });

  test('the file is 0600 even under a permissive umask', async () => {
    const previous = process.umask(0o000);
    try {
      const path = freshPath();
      await openKeyRingFile(path);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(path, '..'))).mode & 0o777, 0o700);
    } finally {
      process.umask(previous);
    }
  });

  test('a second open loads the same keys', async () => {
    const path = freshPath();
    const first = await openKeyRingFile(path);
    const wrapped = first.keyRing.wrapDataKeySync(generateDataKey(), 'alice');
    const second = await openKeyRingFile(path);
    assert.equal(second.created, false);
    assert.deepEqual(second.keyRing.toJSON(), first.keyRing.toJSON());
    assert.doesNotThrow(() => second.keyRing.unwrapDataKeySync(wrapped, 'alice'));
  });

  test('concurrent first opens agree on a single key ring', async () => {
    const path = freshPath();
    const results = await Promise.all(Array.from({ length: 8 }, () => openKeyRingFile(path)));
    assert.equal(results.filter((result) => result.created).length, 1);
    const wrapped = results[0]!.keyRing.wrapDataKeySync(generateDataKey(), 'alice');
    for (const { keyRing } of results) assert.doesNotThrow(() => keyRing.unwrapDataKeySync(wrapped, 'alice'));
    assert.deepEqual(await readdir(join(path, '..')), ['master-keys.json']);
  });

  test('a group- or world-accessible file is refused with the path and the fix', async () => {
    const path = freshPath();
    await openKeyRingFile(path);
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(path, mode);
      await assert.rejects(openKeyRingFile(path), (error) => {
        vaultError('vault.insecure_key_file')(error);
        const message = (error as Error).message;
        assert.ok(message.includes(path), message);
        assert.ok(message.includes(`chmod 600 ${path}`), message);
        return true;
      });
      await assert.rejects(rotateKeyRingFile(path), vaultError('vault.insecure_key_file'));
    }
    await chmod(path, 0o600);
    assert.equal((await openKeyRingFile(path)).created, false);
  });

  test('rotation adds a version, keeps old versions usable and the file 0600', async () => {
    const path = freshPath();
    const { keyRing: v1 } = await openKeyRingFile(path);
    const dataKey = generateDataKey();
    const wrapped = v1.wrapDataKeySync(dataKey, 'alice');
    assert.equal(await rotateKeyRingFile(path), 2);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await rotateKeyRingFile(path), 3);
    const { keyRing } = await openKeyRingFile(path);
    assert.deepEqual(keyRing.toJSON(), { versions: [1, 2, 3], currentVersion: 3, minVersion: 1 });
    assert.deepEqual(keyRing.unwrapDataKeySync(wrapped, 'alice'), dataKey);
    const rewrapped = await keyRing.rewrapDataKey(wrapped, 'alice');
    assert.equal(keyRing.keyVersionOf(rewrapped), 3);
    assert.deepEqual(await readdir(join(path, '..')), ['master-keys.json']);
  });

  test('setMinVersion raises the minimum; older wrapped keys are then refused', async () => {
    const path = freshPath();
    const { keyRing: v1 } = await openKeyRingFile(path);
    const old = v1.wrapDataKeySync(generateDataKey(), 'alice');
    await rotateKeyRingFile(path);
    await assert.rejects(setMinVersion(path, 3), vaultError('vault.invalid_argument'));
    const raised = await setMinVersion(path, 2);
    assert.equal(raised.minVersion, 2);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const { keyRing } = await openKeyRingFile(path);
    assert.equal(keyRing.minVersion, 2);
    assert.throws(() => keyRing.unwrapDataKeySync(old, 'alice'), vaultError('vault.key_version_retired'));
    await assert.rejects(setMinVersion(path, 1), vaultError('vault.invalid_argument'));
    assert.equal((await setMinVersion(path, 2)).minVersion, 2); // idempotent
  });

  test('a held lock makes rotation fail clearly instead of racing', async () => {
    const path = freshPath();
    await openKeyRingFile(path);
    await writeFile(`${path}.lock`, '123\n');
    await assert.rejects(rotateKeyRingFile(path), (error) => {
      vaultError('vault.key_ring_busy')(error);
      assert.ok((error as Error).message.includes(`${path}.lock`));
      return true;
    });
    await rm(`${path}.lock`);
    assert.equal(await rotateKeyRingFile(path), 2);
    // Concurrent rotations: each either succeeds with a distinct version or reports busy; none is lost.
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => rotateKeyRingFile(path)));
    const versions = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') vaultError('vault.key_ring_busy')(outcome.reason);
    }
    const { keyRing } = await openKeyRingFile(path);
    assert.equal(keyRing.currentVersion(), 2 + versions.length);
  });

  test('a corrupt file is refused without echoing its contents', async () => {
    const path = freshPath();
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('base64');
    await writeFile(path, `{"format":1,"minVersion":1,"keys":{"1":"${secret}" oops}`, { mode: 0o600 });
    await assert.rejects(openKeyRingFile(path), (error) => {
      vaultError('vault.invalid_key_ring')(error);
      assert.ok(!(error as Error).message.includes(secret));
      assert.ok((error as Error).message.includes(path));
      return true;
    });
    await writeFile(path, `{"format":1,"minVersion":1,"keys":{"1":"${secret.slice(4)}"}}`, { mode: 0o600 });
    await assert.rejects(openKeyRingFile(path), (error) => {
      vaultError('vault.invalid_key_ring')(error);
      assert.ok(!(error as Error).message.includes(secret.slice(4)));
      return true;
    });
  });

  test('a directory at the path is refused', async () => {
    const path = freshPath();
    await mkdir(path, { recursive: true, mode: 0o700 });
    await assert.rejects(openKeyRingFile(path), vaultError('vault.invalid_key_ring'));
  });
});
