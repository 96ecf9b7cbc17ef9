import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant } from './grant.ts';
import { expiryTime, renderDropIn, renderPrincipals } from './sshd-trust.ts';
import { loadSupportConfig } from './support-config.ts';

const grant: Grant = {
  grantId: '00000000-0000-4000-8000-000000000000',
  principal: 'claw-support-0123456789abcdef01234567',
  caPublicKey: 'ssh-ed25519 AAAA',
  notAfter: Date.UTC(2026, 11, 1, 12, 30, 5),
  createdAt: 0,
  admin: false,
  sourceAddresses: [],
};

test('the principals line carries the grant end and source addresses as sshd options', () => {
  assert.equal(expiryTime(grant.notAfter), '20261201123005Z');
  assert.equal(
    renderPrincipals(grant),
    'restrict,pty,expiry-time="20261201123005Z" claw-support-0123456789abcdef01234567\n',
  );
  assert.equal(
    renderPrincipals({ ...grant, sourceAddresses: ['192.0.2.0/24', '2001:db8::1'] }),
    'restrict,pty,expiry-time="20261201123005Z",from="192.0.2.0/24,2001:db8::1" claw-support-0123456789abcdef01234567\n',
  );
});

test('the drop-in only concerns the support account and forces the recorder', () => {
  const bad: string[] = [];
  const config = loadSupportConfig({ CLAW_AGENT_SUPPORT: 'on' }, bad);
  assert.ok(config !== undefined && bad.length === 0);
  const dropIn = renderDropIn(
    config,
    '/opt/claw/node/bin/node /opt/claw/agent/src/support/recorder-main.ts /run/x',
  );
  const lines = dropIn.split('\n').filter((line) => line && !line.startsWith('#'));
  // Everything after the Match line is indented into it: nothing applies to other accounts.
  assert.equal(lines[0], 'Match User claw-support');
  assert.ok(lines.slice(1).every((line) => line.startsWith('\t')));
  assert.match(dropIn, /^\tTrustedUserCAKeys \/etc\/ssh\/claw-support\/ca\.pub$/m);
  assert.match(dropIn, /^\tAuthorizedPrincipalsFile \/etc\/ssh\/claw-support\/principals$/m);
  assert.match(dropIn, /^\tForceCommand \/opt\/claw\/node\/bin\/node .*recorder-main\.ts \/run\/x$/m);
});

test('support access is off by default; paths must be plain absolute paths', () => {
  const bad: string[] = [];
  assert.equal(loadSupportConfig({}, bad), undefined);
  loadSupportConfig({ CLAW_AGENT_SUPPORT: 'yes' }, bad);
  loadSupportConfig({ CLAW_AGENT_SUPPORT: 'on', CLAW_AGENT_SUPPORT_DROP_IN: '/etc/ssh/a b.conf' }, bad);
  loadSupportConfig({ CLAW_AGENT_SUPPORT: 'on', CLAW_AGENT_SUPPORT_TRUST_DIR: '/etc/../tmp' }, bad);
  loadSupportConfig({ CLAW_AGENT_SUPPORT: 'on', CLAW_AGENT_SUPPORT_USER: 'root*' }, bad);
  assert.deepEqual(bad, [
    'CLAW_AGENT_SUPPORT (on or unset)',
    'CLAW_AGENT_SUPPORT_DROP_IN',
    'CLAW_AGENT_SUPPORT_TRUST_DIR',
    'CLAW_AGENT_SUPPORT_USER',
  ]);
});

test('the tunnel reaches sshd on loopback only', () => {
  const sshAddress = (value?: string) => {
    const bad: string[] = [];
    const config = loadSupportConfig(
      { CLAW_AGENT_SUPPORT: 'on', CLAW_AGENT_SUPPORT_SSH_ADDRESS: value },
      bad,
    );
    return bad.length === 0 ? config?.sshAddress : undefined;
  };
  assert.deepEqual(sshAddress(), { host: '127.0.0.1', port: 22 });
  assert.deepEqual(sshAddress('127.0.0.2:2222'), { host: '127.0.0.2', port: 2222 });
  assert.deepEqual(sshAddress('[::1]:22'), { host: '::1', port: 22 });
  for (const value of [
    '10.0.0.1:22',
    'localhost:22',
    '127.0.0.1',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.1.1.300:22',
    '[::2]:22',
  ])
    assert.equal(sshAddress(value), undefined, value);
});
