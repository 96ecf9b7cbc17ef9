// Boots the rendered user-data for real: a Debian 12 rootfs (debootstrap, cached), systemd-nspawn without
// network, cloud-init from a NoCloud seed. Then checks the hardening from inside the running machine.
// Stubbed (see testing/): the download step's curl serves the tarballs from a local folder, and OpenClaw is a
// small probe-answering stand-in. Node 24 and npm are the real pinned tarballs, checked against their pins;
// the agent is this repo's apps/agent, packed with its dependencies as the published tarball must be.
// The tests run in order: first the fresh machine, last a support grant through the agent's API (which
// changes it).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

test(
  'users: openclaw without a login shell or password; claw-support without password, key or sudo; no default user',
  { skip },
  () => {
    assert.match(
      sh('getent passwd openclaw'),
      /^openclaw:x:\d+:\d+:OpenClaw gateway:\/home\/openclaw:\/usr\/sbin\/nologin$/m,
    );
    assert.match(sh('passwd -S openclaw'), /^openclaw L /);
    assert.match(
      sh('getent passwd claw-support'),
      /^claw-support:x:\d+:\d+:Claw Cloud support:\/home\/claw-support:\/bin\/sh$/m,
    );
    assert.match(sh('passwd -S claw-support'), /^claw-support L /);
    assert.equal(sh('id -nG claw-support'), 'claw-support\n');
    // cloud-init makes an empty ~/.ssh/authorized_keys for every user; sshd ignores it for this account.
    assert.equal(sh('find /home/claw-support -type f -path "*/.ssh/*" -size +0'), '');
    for (const name of ['admin', 'debian', 'ubuntu', 'ec2-user']) {
      assert.notEqual(container.exec(['getent', 'passwd', name]).status, 0, name);
    }
    // sudo reads /etc/sudoers.d (where the agent puts an administrator grant), and nothing of ours is there.
    assert.match(sh('cat /etc/sudoers'), /^@includedir \/etc\/sudoers\.d$/m);
    assert.equal(sh('ls /etc/sudoers.d | grep -v README || true'), '');
    assert.match(sh('sudo -l -U claw-support'), /not allowed to run sudo/);
  },
);

function sshdSettings(args = ''): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of sh(`sshd -T ${args}`).trim().split('\n')) {
    const keyword = line.slice(0, line.indexOf(' '));
    settings.set(keyword, [...(settings.get(keyword) ?? []), line.slice(line.indexOf(' ') + 1)]);
  }
  return settings;
}

test('sshd effective config: no passwords, no root, no CA, no keys of ours', { skip }, () => {
  const effective = sshdSettings();
  const value = (keyword: string) => effective.get(keyword)?.join(' | ');
  assert.equal(value('passwordauthentication'), 'no');
  assert.equal(value('kbdinteractiveauthentication'), 'no');
  assert.equal(value('permitrootlogin'), 'no');
  assert.equal(value('permitemptypasswords'), 'no');
  assert.equal(value('authenticationmethods'), 'publickey');
  assert.equal(value('trustedusercakeys'), 'none');
  assert.equal(value('authorizedkeyscommand'), 'none');
  assert.equal(value('authorizedprincipalsfile'), 'none');
  assert.equal(value('authorizedkeysfile'), '.ssh/authorized_keys .ssh/authorized_keys2');
  // A locked account logs in with a certificate only through PAM (docs/support-access.md).
  assert.equal(value('usepam'), 'yes');
  // No file anywhere trusts a key or a CA.
  assert.equal(sh('find / -xdev \\( -name authorized_keys -o -name authorized_keys2 \\) -size +0'), '');
  assert.equal(sh('grep -rlis -e TrustedUserCAKeys -e cert-authority /etc/ssh || true'), '');
});

test('sshd listens on loopback only; port 22 is not open in the firewall', { skip }, () => {
  assert.deepEqual(sshdSettings().get('listenaddress'), ['127.0.0.1:22', '[::1]:22']);
  const sshd = sh('ss -Htlnp')
    .split('\n')
    .filter((line) => line.includes('"sshd"'))
    .map((line) => line.trim().split(/\s+/)[3]);
  assert.ok(sshd.includes('127.0.0.1:22'), sshd.join(' '));
  for (const address of sshd) assert.match(address!, /^(127\.0\.0\.1|\[::1\]):22$/);
  assert.doesNotMatch(sh('ufw status verbose'), /\b22\b/);
});

test(
  'support access is closed without a grant: no CA, principals, drop-in or sudoers entry',
  { skip },
  () => {
    const support = sshdSettings('-C user=claw-support,host=x,addr=127.0.0.1');
    assert.deepEqual(support.get('trustedusercakeys'), ['none']);
    assert.deepEqual(support.get('authorizedprincipalsfile'), ['none']);
    // Not even a key planted in its home during an earlier grant (the bootstrap's Match block).
    assert.deepEqual(support.get('authorizedkeysfile'), ['none']);
    assert.deepEqual(support.get('forcecommand'), ['none']);
    // The folder the agent fills during a grant: there, empty, root's (sshd's StrictModes).
    assert.equal(sh('stat -c "%a %U %G" /etc/ssh/claw-support'), '755 root root\n');
    assert.equal(sh('ls -A /etc/ssh/claw-support'), '');
    assert.equal(
      sh('ls /etc/ssh/sshd_config.d/50-claw-support.conf /etc/sudoers.d/50-claw-support || true'),
      '',
    );
  },
);

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

test('the agent runs as root with support on, in its sandbox, with two capabilities', { skip }, () => {
  assert.match(sh('systemctl show -p Environment claw-agent.service'), /\bCLAW_AGENT_SUPPORT=on\b/);
  const pid = sh('systemctl show -p MainPID --value claw-agent.service').trim();
  const status = sh(`cat /proc/${pid}/status`);
  assert.match(status, /^Uid:\s+0\s/m);
  // capability(7) numbers: CAP_CHOWN 0, CAP_KILL 5.
  const expected = ((1n << 0n) | (1n << 5n)).toString(16).padStart(16, '0');
  assert.match(status, new RegExp(`^CapBnd:\\s+${expected}$`, 'm'));
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  // Read-only but for its own folders and the three support folders; no home folders.
  const writable = (dir: string) =>
    container.exec([
      'nsenter',
      '-t',
      pid,
      '-m',
      'sh',
      '-c',
      `test -w ${dir} && touch ${dir}/.claw-w && rm ${dir}/.claw-w`,
    ]).status === 0;
  for (const dir of [
    '/etc/ssh/sshd_config.d',
    '/etc/ssh/claw-support',
    '/etc/sudoers.d',
    '/run/claw-agent',
    '/var/lib/claw-agent',
  ])
    assert.ok(writable(dir), dir);
  for (const dir of ['/etc', '/etc/ssh', '/usr/local/bin', '/opt/claw/agent']) assert.ok(!writable(dir), dir);
  assert.notEqual(container.exec(['nsenter', '-t', pid, '-m', 'ls', '/home/claw-support']).status, 0);
});

test(
  'the support account can run the recorder: the agent and Node are readable and executable',
  { skip },
  () => {
    assert.equal(
      sh(
        'runuser -u claw-support -- find /opt/claw/node /opt/claw/agent \\( ! -readable -o -type d ! -executable \\) -print',
      ),
      '',
    );
    assert.equal(sh('runuser -u claw-support -- /opt/claw/node/bin/node --version'), 'v24.21.0\n');
  },
);

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
    assert.match(sh('stat -c "%a %U" /var/lib/claw-agent/tls-key.pem'), /^600 root\n$/);
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

// Last: it changes the machine. The agent gets a credential (as registration would give it), then a support
// grant is opened and revoked through its API, inside the agent's real unit, with sshd as installed.
const CREDENTIAL = 'boot-test-credential-0123456789abcdef0123456789abcdef';
const API_CALL = `fetch('https://127.0.0.1:3000' + process.env.API_PATH, {
  method: process.env.API_METHOD,
  headers: { authorization: 'Bearer ' + process.env.API_TOKEN, 'content-type': 'application/json' },
  body: process.env.API_BODY || undefined,
}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))`;

function api(
  method: string,
  apiPath: string,
  body?: unknown,
): { status: number; body: Record<string, unknown> } {
  const result = container.exec([
    'env',
    'NODE_TLS_REJECT_UNAUTHORIZED=0',
    `API_METHOD=${method}`,
    `API_PATH=${apiPath}`,
    `API_TOKEN=${CREDENTIAL}`,
    `API_BODY=${body === undefined ? '' : JSON.stringify(body)}`,
    '/opt/claw/node/bin/node',
    '-e',
    API_CALL,
  ]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { status: number; body: Record<string, unknown> };
}

const KEYS = '/root/support-test';
// sshd's host key is checked strictly, against what the agent handed out for the grant (no trust on first use).
const SSH = `ssh -F none -o UserKnownHostsFile=${KEYS}/known_hosts -o HostKeyAlias=instance -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes -i ${KEYS}/engineer -o CertificateFile=${KEYS}/engineer-cert.pub claw-support@127.0.0.1`;

test(
  'a support grant works in the agent sandbox: certificate login on loopback, sudo, sessions killed at revoke',
  { skip },
  async () => {
    const hash = createHash('sha256').update(CREDENTIAL).digest('hex');
    sh(
      `systemctl stop claw-agent && echo ${hash} > /var/lib/claw-agent/credential.sha256 && ` +
        'chmod 600 /var/lib/claw-agent/credential.sha256 && systemctl start claw-agent',
    );
    await agentHealth();
    sh(
      `mkdir -m 700 ${KEYS} && ssh-keygen -q -t ed25519 -N '' -f ${KEYS}/ca && ` +
        `ssh-keygen -q -t ed25519 -N '' -f ${KEYS}/engineer`,
    );
    const granted = api('POST', '/support/grants', {
      caPublicKey: sh(`cat ${KEYS}/ca.pub`).trim(),
      durationSeconds: 600,
      admin: true,
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    const { grantId, principal } = granted.body as { grantId: string; principal: string };
    sh(`ssh-keygen -q -s ${KEYS}/ca -I engineer@boot-test -n ${principal} -V +10m ${KEYS}/engineer.pub`);
    // The host keys the agent hands out (over its pinned API) are the public keys sshd serves, read in its sandbox.
    const hostKeys = api('GET', '/support/host-keys');
    assert.equal(hostKeys.status, 200, JSON.stringify(hostKeys.body));
    const lines = hostKeys.body.hostKeys as string[];
    // The keys sshd serves, by its own configuration (the image also holds a DSA key sshd no longer loads).
    const onDisk = sh(`for key in $(sshd -T | awk '/^hostkey /{print $2}'); do cat "$key.pub"; done`)
      .trim()
      .split('\n')
      .map((line) => line.split(' ').slice(0, 2).join(' '));
    assert.deepEqual([...lines].sort(), [...onDisk].sort());
    assert.ok(!JSON.stringify(hostKeys.body).includes('PRIVATE KEY'));
    sh(`printf '%s\\n' ${lines.map((line) => `'instance ${line}'`).join(' ')} > ${KEYS}/known_hosts`);

    // Through the recorder (ForceCommand, as claw-support) and the administrator grant's sudoers entry.
    assert.equal(sh(`${SSH} 'id -un; sudo -n id -u'`), 'claw-support\n0\n');
    // A live session, and a process that left it (its own session, not the recorder's child): only the
    // agent's kill, with only CAP_KILL for it in its sandbox, ends that one.
    sh(
      `setsid -f ${SSH} 'setsid -f sleep 601 </dev/null >/dev/null 2>&1; sleep 600' </dev/null >/dev/null 2>&1`,
    );
    const deadline = Date.now() + AGENT_WAIT_MS;
    while (
      container.exec(['pgrep', '-u', 'claw-support', '-x', 'sleep']).stdout.trim().split('\n').length < 2
    ) {
      assert.ok(Date.now() < deadline, 'the support session never started');
      await sleep(200);
    }

    const revoked = api('DELETE', `/support/grants/${grantId}`);
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.ok((revoked.body.processesKilled as number) >= 1, JSON.stringify(revoked.body));
    assert.notEqual(container.exec(['pgrep', '-u', 'claw-support']).status, 0, 'a support process survived');
    // Closed again, as on a fresh machine.
    assert.equal(
      sh('ls -A /etc/ssh/claw-support /etc/sudoers.d | grep -v -e README -e : -e "^$" || true'),
      '',
    );
    assert.equal(sh('ls /etc/ssh/sshd_config.d/50-claw-support.conf || true'), '');
    assert.deepEqual(sshdSettings('-C user=claw-support,host=x,addr=127.0.0.1').get('trustedusercakeys'), [
      'none',
    ]);
    assert.equal(container.exec(['sh', '-c', `${SSH} true`]).status, 255);
    // A key the engineer planted in the account's home during the grant opens nothing afterwards.
    sh(
      `cat ${KEYS}/engineer.pub >> /home/claw-support/.ssh/authorized_keys && ` +
        `chown claw-support: /home/claw-support/.ssh/authorized_keys && chmod 600 /home/claw-support/.ssh/authorized_keys`,
    );
    const planted = container.exec(['sh', '-c', `${SSH.replace(/ -o CertificateFile=\S+/, '')} true`]);
    assert.equal(planted.status, 255, planted.stdout);

    const log = api('GET', '/support/log');
    assert.deepEqual((log.body.verification as { ok: boolean }).ok, true);
    const types = (log.body.entries as Array<{ type: string }>).map((entry) => entry.type);
    for (const type of ['grant.opened', 'session.start', 'session.end', 'grant.revoked'])
      assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  },
);
