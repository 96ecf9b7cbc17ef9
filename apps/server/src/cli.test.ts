// The command line as an operator runs it: a separate process, its output and its exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.ts';
import { previewUserData } from './provisioning/user-data-preview.ts';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'claw-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const env = {
  PATH: process.env.PATH ?? '',
  CLAW_DATA_DIR: dataDir,
  CLAW_PUBLIC_URL: 'https://claw.test',
  CLAW_AGENT_PACKAGE: '@claw-cloud/agent@1.2.3',
  CLAW_AGENT_PACKAGE_INTEGRITY: `sha512-${'B'.repeat(86)}==`,
};
const claw = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });

test('render-cloud-init prints exactly the user-data the dashboard previews, secrets as placeholders', () => {
  for (const provider of ['digitalocean', 'aws', 'hetzner'] as const) {
    const run = claw('render-cloud-init', '--provider', provider);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, previewUserData(provider, loadConfig(env)));
    assert.match(run.stdout, /^#cloud-config\n/);
    assert.match(run.stdout, /<per-instance registration code>/);
    assert.match(run.stdout, /@claw-cloud\/agent/);
  }
});

test('an unknown provider is a one-line error naming the choices, and nothing on stdout', () => {
  const run = claw('render-cloud-init', '--provider', 'gcp');
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  assert.equal(
    run.stderr,
    'claw-cloud render-cloud-init: --provider must be one of: digitalocean, aws, hetzner\n',
  );
});
