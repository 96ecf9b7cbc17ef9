import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('defaults: loopback on 8080, embedded database in ./data, 30 min idle, 12 h absolute', () => {
  const config = loadConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.match(config.dataDir, /\/data$/);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.sessionIdleMs, 30 * 60_000);
  assert.equal(config.sessionAbsoluteMs, 12 * 3_600_000);
  assert.ok(Object.isFrozen(config));
});

test('a bad environment fails naming the keys, never the values', () => {
  const secret = 'postgres-password-canary';
  assert.throws(
    () => loadConfig({ CLAW_PORT: 'eighty', DATABASE_URL: `mysql://u:${secret}@h/db` }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message.includes('CLAW_PORT') &&
      error.message.includes('DATABASE_URL') &&
      !error.message.includes(secret),
  );
});
