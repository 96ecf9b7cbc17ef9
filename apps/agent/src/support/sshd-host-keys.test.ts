import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { hostKeyPaths, sshdHostKeys } from './sshd-host-keys.ts';
import { SupportError } from './support-error.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-host-keys-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An ed25519 key pair: the OpenSSH public line (RFC 8709 §4) and the private key as PEM. */
function keyPair(): { line: string; privatePem: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const string = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const blob = Buffer.concat([string(Buffer.from('ssh-ed25519')), string(raw)]);
  return {
    line: `ssh-ed25519 ${blob.toString('base64')}`,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** A stand-in for `sshd -T -f <config>` printing `effective`, with one private key file per host key. */
function fakeSshd(effective: string, exitCode = 0) {
  const sshd = path.join(dir, `sshd-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(sshd, `#!/bin/sh\ncat <<'EOF'\n${effective}EOF\nexit ${exitCode}\n`, { mode: 0o755 });
  return { sshd, sshdConfig: path.join(dir, 'sshd_config') };
}

function hostKey(name: string, pub: (pair: ReturnType<typeof keyPair>) => string | undefined) {
  const pair = keyPair();
  const file = path.join(dir, name);
  fs.writeFileSync(file, pair.privatePem, { mode: 0o600 });
  const content = pub(pair);
  if (content !== undefined) fs.writeFileSync(`${file}.pub`, content);
  return { file, ...pair };
}

test('only the hostkey lines of sshd -T name host keys', () => {
  assert.deepEqual(
    hostKeyPaths(
      'port 22\nhostkeyagent none\nhostkeyalgorithms ssh-ed25519,rsa-sha2-512\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\n',
    ),
    ['/etc/ssh/a', '/etc/ssh/b'],
  );
});

test('the answer holds each plain public key line once, without comment, and never a private key', async () => {
  const good = hostKey('good', ({ line }) => `${line} root@instance\n`);
  const second = hostKey('second', ({ line }) => `${line}\n`);
  const decoys = [
    hostKey('missing-pub', () => undefined),
    // A `.pub` that is really the private key (a mistake, or a symlink planted to leak it).
    hostKey('private-as-pub', ({ privatePem }) => privatePem),
    hostKey('with-options', ({ line }) => `command="sh" ${line}\n`),
    hostKey('two-lines', ({ line }) => `${line}\n${line}\n`),
    hostKey('marker', ({ line }) => `@cert-authority * ${line}\n`),
    hostKey('wrong-type', ({ line }) => line.replace(/^ssh-ed25519/, 'ssh-rsa')),
  ];
  const effective = [good, decoys, second, good]
    .flat()
    .map((key) => `hostkey ${key.file}\n`)
    .join('');
  const keys = await sshdHostKeys(fakeSshd(`port 22\n${effective}`));
  assert.deepEqual(keys, [good.line, second.line]);
  assert.doesNotMatch(JSON.stringify(keys), /PRIVATE KEY/);
});

test('an sshd that cannot say its configuration, or names no usable key, is an error', async () => {
  const code = (expected: string) => (err: unknown) => err instanceof SupportError && err.code === expected;
  await assert.rejects(sshdHostKeys(fakeSshd('', 255)), code('sshd_config_invalid'));
  const onlyPrivate = hostKey('only-private', ({ privatePem }) => privatePem);
  await assert.rejects(
    sshdHostKeys(fakeSshd(`hostkey ${onlyPrivate.file}\nhostkey ${path.join(dir, 'nothing')}\n`)),
    code('host_keys_unavailable'),
  );
});
