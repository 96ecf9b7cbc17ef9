// Boots the rendered user-data for real: a Debian 12 rootfs (debootstrap, cached), systemd-nspawn without
// network, cloud-init from a NoCloud seed. Then checks the hardening from inside the running machine.
// Stubbed (see testing/): the download step's curl serves the tarballs from a local folder, and OpenClaw is a
// small probe-answering stand-in. Node 24 and npm are the real pinned tarballs, checked against their pins;
// the agent is this repo's apps/agent, packed with its dependencies as the published tarball must be.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderCloudInit } from './render.ts';
import { REGISTRATION_CODE, testInput } from './test-input.ts';
import { prepareArtifacts } from './testing/artifacts.ts';
import type { Container } from './testing/nspawn.ts';
import { bootContainer } from './testing/nspawn.ts';
import { ensureRootfs } from './testing/rootfs.ts';
import { DEBOOTSTRAP, NSPAWN, skipUnlessRoot, skipUnlessTools } from './testing/tools.ts';

const skip = skipUnlessRoot() || skipUnlessTools(DEBOOTSTRAP, NSPAWN);
const AGENT_WAIT_MS = 30_000;

let container: Container;
let workDir: string;

function sh(script: string): string {
  const result = container.exec(['sh', '-c', script]);
  assert.equal(result.status, 0, `${script}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

// Inside the machine with its own Node: curl there is the test's stand-in.
const HEALTH_PROBE = `/opt/claw/node/bin/node -e "fetch('https://127.0.0.1:3000/healthz').then(r => r.text()).then(t => process.stdout.write(t))"`;

async function agentHealth(): Promise<string> {
  const deadline = Date.now() + AGENT_WAIT_MS;
  for (;;) {
    const result = container.exec([
      'env',
      'NODE_TLS_REJECT_UNAUTHORIZED=0',
      'sh',
      '-c',
      `${HEALTH_PROBE} 2>/dev/null`,
    ]);
    if (result.status === 0 && result.stdout.includes('"ok":true')) return result.stdout;
    if (Date.now() > deadline)
      throw new Error(`agent never answered /healthz\n${sh('journalctl -u claw-agent --no-pager')}`);
    await sleep(500);
  }
}

before(async () => {
  if (skip) return;
  const rootfs = ensureRootfs();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claw-boot-'));
  const artifactsDir = path.join(workDir, 'artifacts');
  fs.mkdirSync(artifactsDir);
  const pins = prepareArtifacts(artifactsDir);
  const userData = renderCloudInit(testInput(pins));
  container = await bootContainer({ rootfs, workDir, userData, artifactsDir });
});

after(async () => {
  if (skip) return;
  await container?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

test('cloud-init finishes without error and the machine is running', { skip }, () => {
  const status = container.exec(['cloud-init', 'status', '--wait', '--long']);
  assert.equal(status.status, 0, `${status.stdout}\n${container.console().slice(-4000)}`);
  assert.match(status.stdout, /status: done/);
  assert.equal(sh('systemctl --failed --no-legend --plain'), '');
});

test('users: openclaw exists without a login shell or password; no default user', { skip }, () => {
  assert.match(
    sh('getent passwd openclaw'),
    /^openclaw:x:\d+:\d+:OpenClaw gateway:\/home\/openclaw:\/usr\/sbin\/nologin$/m,
  );
  assert.match(sh('passwd -S openclaw'), /^openclaw L /);
  for (const name of ['admin', 'debian', 'ubuntu', 'ec2-user']) {
    assert.notEqual(container.exec(['getent', 'passwd', name]).status, 0, name);
  }
  assert.equal(sh('ls /etc/sudoers.d | grep -v README || true'), '');
});

test('sshd effective config: no passwords, no root, no CA, no keys of ours', { skip }, () => {
  const effective = new Map(
    sh('sshd -T')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]),
  );
  assert.equal(effective.get('passwordauthentication'), 'no');
  assert.equal(effective.get('kbdinteractiveauthentication'), 'no');
  assert.equal(effective.get('permitrootlogin'), 'no');
  assert.equal(effective.get('permitemptypasswords'), 'no');
  assert.equal(effective.get('authenticationmethods'), 'publickey');
  assert.equal(effective.get('trustedusercakeys'), 'none');
  assert.equal(effective.get('authorizedkeyscommand'), 'none');
  assert.equal(effective.get('authorizedprincipalsfile'), 'none');
  assert.equal(effective.get('authorizedkeysfile'), '.ssh/authorized_keys .ssh/authorized_keys2');
  // No file anywhere trusts a key or a CA.
  assert.equal(sh('find / -xdev \\( -name authorized_keys -o -name authorized_keys2 \\) -size +0'), '');
  assert.equal(sh('grep -rlis -e TrustedUserCAKeys -e cert-authority /etc/ssh || true'), '');
});

test('firewall: deny incoming, allow 3000/tcp only, active', { skip }, () => {
  const status = sh('ufw status verbose');
  assert.match(status, /^Status: active$/m);
  assert.match(status, /^Default: deny \(incoming\), allow \(outgoing\)/m);
  const rules = status.split('\n').filter((line) => /ALLOW|DENY|LIMIT|REJECT/.test(line));
  assert.deepEqual(
    rules.map((line) => line.replace(/\s+/g, ' ').trim()),
    ['3000/tcp ALLOW IN Anywhere # claw-agent', '3000/tcp (v6) ALLOW IN Anywhere (v6) # claw-agent'],
  );
  // The rules ufw loaded into the kernel (iptables-nft), not just its configuration.
  assert.match(sh('iptables -S ufw-user-input'), /-A ufw-user-input -p tcp -m tcp --dport 3000 -j ACCEPT/);
  assert.match(sh('iptables -S INPUT'), /^-P INPUT DROP$/m);
});

test('units enabled and running: gateway, agent, fail2ban, unattended-upgrades, sshd jail', { skip }, () => {
  const units = [
    'claw-gateway.service',
    'claw-agent.service',
    'fail2ban.service',
    'unattended-upgrades.service',
  ];
  assert.equal(sh(`systemctl is-enabled ${units.join(' ')}`), 'enabled\n'.repeat(units.length));
  assert.equal(sh(`systemctl is-active ${units.join(' ')}`), 'active\n'.repeat(units.length));
  assert.match(sh('fail2ban-client status sshd'), /Status for the jail: sshd/);
  assert.match(sh('apt-config dump APT::Periodic::Unattended-Upgrade'), /"1"/);
  assert.match(sh('systemctl show -p User claw-gateway.service'), /^User=openclaw$/m);
});

test(
  'the gateway token was made on the machine, root-only; the gateway listens on loopback only',
  { skip },
  () => {
    assert.match(
      sh('stat -c "%a %U" /etc/claw /etc/claw/gateway-token /etc/claw/agent-callback.json'),
      /^700 root\n600 root\n600 root\n$/,
    );
    assert.match(sh('cat /etc/claw/gateway-token'), /^[A-Za-z0-9_-]{43}\n$/);
    const listening = sh('ss -Htlnp');
    assert.match(listening, /127\.0\.0\.1:18789/);
    assert.doesNotMatch(listening, /(0\.0\.0\.0|\*|\[::\]):18789/);
  },
);

test(
  'the agent runs the real code on the pinned Node: HTTPS on 3000, gateway ready, calling back',
  { skip },
  async () => {
    assert.equal(sh('/opt/claw/node/bin/node --version'), 'v24.21.0\n');
    const health = JSON.parse(await agentHealth()) as {
      ok: boolean;
      gateway: { ready: boolean; version: string };
    };
    assert.deepEqual(health.gateway, { ready: true, version: '2026.9.6' });
    assert.match(sh('stat -c "%a" /var/lib/private/claw-agent/tls-key.pem'), /^600\n$/);
    // No network: the callback is attempted and retried; neither code reaches the journal.
    const deadline = Date.now() + AGENT_WAIT_MS;
    let journal = '';
    while (!journal.includes('agent.callback_retry') && Date.now() < deadline) {
      await sleep(500);
      journal = sh('journalctl -u claw-agent --no-pager -o cat');
    }
    assert.match(journal, /"event":"agent.callback_retry"/);
    assert.ok(!journal.includes(REGISTRATION_CODE));
  },
);
