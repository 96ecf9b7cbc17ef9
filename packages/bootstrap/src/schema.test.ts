// `cloud-init schema` (Debian package cloud-init) on every document we render: types, required keys and
// module options as cloud-init itself defines them. Unknown top-level keys are not caught by it
// (cloud-test-peers.md §5), so the last test below pins our top-level keys to the modules we rely on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { BOOTSTRAP_PROVIDERS } from './providers.ts';
import { renderCloudInit, renderCloudInitPreview } from './render.ts';
import { testInput } from './test-input.ts';
import { CLOUD_INIT, skipUnlessTools } from './testing/tools.ts';

const documents = [
  ...BOOTSTRAP_PROVIDERS.map((provider) => ({
    name: provider,
    text: renderCloudInit(testInput({ provider })),
  })),
  { name: 'preview', text: renderCloudInitPreview(testInput()) },
];

for (const { name, text } of documents) {
  test(`cloud-init schema accepts the ${name} user-data`, { skip: skipUnlessTools(CLOUD_INIT) }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-schema-'));
    const file = path.join(dir, 'user-data');
    fs.writeFileSync(file, text);
    const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Valid cloud-config/);
  });
}

test('only top-level keys of the modules we rely on (schema does not flag unknown ones)', () => {
  const keys = Object.keys(parse(documents[0]!.text) as object).sort();
  assert.deepEqual(keys, [
    'allow_public_ssh_keys', // cc_ssh
    'disable_root', // cc_ssh
    'package_update', // cc_package_update_upgrade_install
    'package_upgrade',
    'packages',
    'runcmd', // cc_runcmd
    'ssh_pwauth', // cc_set_passwords
    'users', // cc_users_groups
    'write_files', // cc_write_files
  ]);
});
