import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateDataKey } from './data-key.ts';
import { keyRingFromEnv, parseKeyRing, parseKeyRingEnv } from './key-ring-config.ts';
import { catchVault } from './test-support.ts';

const b1 = randomBytes(32).toString('base64');
const b2 = randomBytes(32).toString('base64');

describe('key ring from JSON', () => {
  test('parses the file format', () => {
    const ring = parseKeyRing(JSON.stringify({ format: 1, minVersion: 2, keys: { '1': b1, '2': b2 } }));
    assert.deepEqual(ring.toJSON(), { versions: [1, 2], currentVersion: 2, minVersion: 2 });
  });

  test('refuses anything off-format without echoing key material', () => {
    const bad: unknown[] = [
      'not json',
      [],
      null,
      { format: 2, minVersion: 1, keys: { '1': b1 } },
      { format: 1, minVersion: 1, keys: {} },
      { format: 1, minVersion: 0, keys: { '1': b1 } },
      { format: 1, minVersion: 1.5, keys: { '1': b1 } },
      { format: 1, minVersion: '1', keys: { '1': b1 } },
      { format: 1, minVersion: 3, keys: { '1': b1 } },
      { format: 1, minVersion: 1, keys: { '01': b1 } },
      { format: 1, minVersion: 1, keys: { x: b1 } },
      { format: 1, minVersion: 1, keys: { '1': b1.slice(0, -2) } },
      { format: 1, minVersion: 1, keys: { '1': randomBytes(16).toString('base64') } },
      { format: 1, minVersion: 1, keys: { '1': randomBytes(32).toString('base64url') } },
      { format: 1, minVersion: 1, keys: { '1': 42 } },
      { format: 1, minVersion: 1, keys: { '1': b1 }, extra: true },
    ];
    for (const value of bad) {
      const json = typeof value === 'string' ? value : JSON.stringify(value);
      const error = catchVault(() => parseKeyRing(json), 'vault.invalid_key_ring');
      assert.ok(!error.message.includes(b1.slice(0, 20)), error.message);
    }
  });
});

describe('key ring from the environment', () => {
  test('parses CLAW_MASTER_KEYS="1:<base64>,2:<base64>"', () => {
    const ring = parseKeyRingEnv(`1:${b1}, 2:${b2}`);
    assert.deepEqual(ring.toJSON(), { versions: [1, 2], currentVersion: 2, minVersion: 1 });
    const fromEnv = keyRingFromEnv({
      CLAW_MASTER_KEYS: `2:${b2},1:${b1}`,
      CLAW_MASTER_KEYS_MIN_VERSION: '2',
    });
    assert.deepEqual(fromEnv?.toJSON(), { versions: [1, 2], currentVersion: 2, minVersion: 2 });
    assert.equal(keyRingFromEnv({}), undefined);
    // Same keys -> interoperable.
    const wrapped = ring.wrapDataKeySync(generateDataKey(), 'alice');
    assert.doesNotThrow(() => fromEnv?.unwrapDataKeySync(wrapped, 'alice'));
  });

  test('refuses malformed values without echoing key material', () => {
    for (const value of [
      '',
      ' ',
      b1,
      `1:${b1},`,
      `1:${b1},1:${b2}`,
      `0:${b1}`,
      `v1:${b1}`,
      `1:${b1.slice(1)}`,
    ]) {
      const error = catchVault(() => parseKeyRingEnv(value), 'vault.invalid_key_ring');
      assert.ok(!error.message.includes(b1.slice(0, 20)), error.message);
    }
    catchVault(
      () => keyRingFromEnv({ CLAW_MASTER_KEYS: `1:${b1}`, CLAW_MASTER_KEYS_MIN_VERSION: '2' }),
      'vault.invalid_key_ring',
    );
    catchVault(
      () => keyRingFromEnv({ CLAW_MASTER_KEYS: `1:${b1}`, CLAW_MASTER_KEYS_MIN_VERSION: 'one' }),
      'vault.invalid_key_ring',
    );
  });
});
