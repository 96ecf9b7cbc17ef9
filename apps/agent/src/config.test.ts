import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadAgentConfig } from './config.ts';

const BASE = { CLAW_AGENT_STATE_DIR: '/var/lib/claw-agent', OPENCLAW_GATEWAY_TOKEN: 'token-value-1234' };

test('defaults: port 3000 on all interfaces, gateway on loopback 18789, 1 MiB messages', () => {
  const config = loadAgentConfig(BASE);
  assert.equal(config.port, 3000);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.gatewayUrl, 'http://127.0.0.1:18789');
  assert.equal(config.maxPayloadBytes, 1024 * 1024);
  assert.ok(Object.isFrozen(config));
});

test('the token file wins over the environment', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-agent-config-'));
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, 'from-file\n');
  assert.equal(loadAgentConfig({ ...BASE, CLAW_AGENT_GATEWAY_TOKEN_FILE: file }).gatewayToken, 'from-file');
  fs.rmSync(dir, { recursive: true });
});

test('a bad environment names the keys, never the values', () => {
  const env = {
    CLAW_AGENT_PORT: 'secret-port-value',
    CLAW_AGENT_GATEWAY_URL: 'https://gateway.example.com/?token=secret-url-value',
  };
  assert.throws(
    () => loadAgentConfig(env),
    (err: Error) =>
      err instanceof ConfigError &&
      /CLAW_AGENT_STATE_DIR/.test(err.message) &&
      /CLAW_AGENT_PORT/.test(err.message) &&
      /OPENCLAW_GATEWAY_TOKEN/.test(err.message) &&
      /CLAW_AGENT_GATEWAY_URL/.test(err.message) &&
      !/secret/.test(err.message),
  );
});

test('the gateway must be on loopback: the token never crosses a network', () => {
  for (const url of ['http://10.0.0.5:18789', 'https://127.0.0.1:18789', 'http://example.com']) {
    assert.throws(() => loadAgentConfig({ ...BASE, CLAW_AGENT_GATEWAY_URL: url }), ConfigError, url);
  }
});
