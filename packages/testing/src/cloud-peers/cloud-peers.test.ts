import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateSpec, skipUnlessAvailable } from './availability.ts';
import { startPrism } from './prism.ts';
import { spawnPeer, waitUntilReady } from './process.ts';

test('a missing spec is a skip reason naming the path, and a failure under CI=true', () => {
  const missing = locateSpec('hetzner', { CLAW_SPECS_DIR: '/nonexistent/specs' });
  assert.ok(!missing.ok);
  assert.match(missing.reason, /\/nonexistent\/specs\/hetzner-cloud-openapi\/openapi\/hcloud\.json/);
  const saved = process.env.CI;
  try {
    process.env.CI = 'false';
    assert.equal(skipUnlessAvailable(missing), missing.reason);
    process.env.CI = 'true';
    assert.throws(() => skipUnlessAvailable(missing), /cloud peer missing under CI/);
    assert.equal(skipUnlessAvailable({ ok: true, path: '/x' }), false);
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
});

test('startPrism refuses a spec that does not exist before spawning anything', async () => {
  await assert.rejects(startPrism({ spec: '/nonexistent/spec.yaml' }), /spec file not found/);
});

test('a peer that dies before it is ready fails fast with its own output', async () => {
  const peer = spawnPeer(process.execPath, ['-e', 'console.error("boom: port taken"); process.exit(3)']);
  await assert.rejects(
    waitUntilReady({ name: 'dying', peer, probe: async () => false, timeoutMs: 30_000, intervalMs: 20 }),
    /dying exited before it was ready:[\s\S]*boom: port taken/,
  );
});

test('a peer that never gets ready is stopped after the deadline', async () => {
  const peer = spawnPeer(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  await assert.rejects(
    waitUntilReady({ name: 'stuck', peer, probe: async () => false, timeoutMs: 200, intervalMs: 20 }),
    /stuck not ready after 200 ms/,
  );
  assert.equal(peer.exited(), true);
});
