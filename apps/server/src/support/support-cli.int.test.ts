// The support team's commands against a real agent process with support enabled and a REAL sshd (the agent's
// openssh fixture, as root): `support sign` signs for the active grant only and writes sshd's host keys into
// a known_hosts file, and `support connect` carries an ssh login through the agent's tunnel that checks sshd's
// key strictly against that file. Grants are opened on the agent directly and recorded in support_grants by
// the test, as the support service does. Without root/OpenSSH it skips (CI=true: fails).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { opensshUnavailable, type OpenSshFixture } from '@claw/agent/testing/openssh-fixture';
import { startSupportedAgent } from '@claw/agent/testing/support-agent-env';
import { eq } from 'drizzle-orm';
import { schema } from '@claw/db';
import type { AgentProcess } from '@claw/testing';
import { pinnedTls } from '../instances/agent-tls.ts';
import { createInstanceService, type InstanceService } from '../instances/instance-service.ts';
import { createUserKeys } from '../keys/user-keys.ts';
import { openMasterKeys } from '../master-keys.ts';
import { adoptedInstance, startTestPlane, type TestPlane } from '../test-support.ts';
import { openTunnelTo, pipeTunnel, signSupportKey } from './support-cli.ts';
import { openSupportTunnel } from './support-tunnel.ts';

const unavailable = opensshUnavailable();
if (unavailable !== undefined && process.env.CI === 'true') throw new Error(`CI=true: ${unavailable}`);

const canary = `canary${randomUUID().slice(0, 8)}`;
let server: Awaited<ReturnType<typeof startSupportedAgent>> | undefined;
let ssh: OpenSshFixture;
let agent: AgentProcess;
let t: TestPlane;
let userId: string;
let instanceId: string;
let instances: InstanceService;
let work: string;
const now = () => new Date();

async function instanceRow() {
  const [row] = await t.database.db
    .select()
    .from(schema.instances)
    .where(eq(schema.instances.id, instanceId));
  assert.ok(row);
  return row;
}

/** A call to the agent with the instance credential, as the support service makes it. */
async function agentCall(method: string, path: string, body?: unknown) {
  const row = await instanceRow();
  const { credential } = await instances.connect(row);
  const pem = new X509Certificate(row.agentCertificate ?? Buffer.alloc(0)).toString();
  return new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const req = request(new URL(path, agent.url), {
      method,
      ...pinnedTls(pem, row.agentFingerprint ?? ''),
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    });
    req.once('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Opens a grant on the agent and records it like the support service does. */
async function grant(durationSeconds: number) {
  const opened = await agentCall('POST', '/support/grants', {
    caPublicKey: ssh.caPublicKey(),
    durationSeconds,
  });
  assert.equal(opened.status, 201, JSON.stringify(opened.json));
  const { grantId, principal, notAfter } = opened.json as Record<string, string>;
  await t.database.db.insert(schema.supportGrants).values({
    id: grantId ?? '',
    instanceId,
    userId,
    principal: principal ?? '',
    admin: false,
    notAfter: new Date(notAfter ?? ''),
  });
  return { grantId: grantId ?? '', principal: principal ?? '', notAfter: notAfter ?? '' };
}

function sign(out: string) {
  return signSupportKey(
    { db: t.database.db, instances, now },
    {
      instanceId,
      caKey: ssh.keys.supportCa,
      publicKey: `${ssh.keys.engineer}.pub`,
      out,
      identity: 'alice@support',
    },
  );
}

describe('support CLI', { skip: unavailable && `OpenSSH fixture unavailable: ${unavailable}` }, () => {
  let bridge: Server;
  let proxyCommand: string;

  before(async () => {
    server = await startSupportedAgent();
    ({ ssh, agent } = server);
    work = mkdtempSync(join(ssh.root, 'cli-'));
    t = await startTestPlane({ CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true' });
    const owner = await t.signUp();
    userId = owner.id;
    instanceId = await adoptedInstance(owner.client, agent, 'supported');
    const { keyRing } = await openMasterKeys(t.plane.config, {});
    instances = createInstanceService({
      db: t.database.db,
      userKeys: createUserKeys({ db: t.database.db, keys: keyRing }),
      allowPrivateNetworks: true,
    });
    // What `claw-cloud support connect` does with its stdin/stdout, here with a connection standing in for
    // them (the test's database lives in this process); ssh reaches it through a one-line Node relay as its ProxyCommand.
    bridge = createServer((connection) => {
      connection.on('error', () => connection.destroy());
      openTunnelTo({ db: t.database.db, instances, now }, instanceId)
        .then((tunnel) => pipeTunnel(tunnel, { input: connection, output: connection }))
        .finally(() => connection.destroy())
        .catch(() => undefined);
    });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    const { port } = bridge.address() as { port: number };
    proxyCommand = `${process.execPath} -e "const s = require('node:net').connect(${port}, '127.0.0.1'); process.stdin.pipe(s).on('error', () => {}); s.pipe(process.stdout)"`;
  });

  after(async () => {
    bridge?.close();
    await t?.close();
    await server?.stop();
  });

  test('sign refuses without an active grant; with one, the certificate is for its principal until its end', async () => {
    const out = join(work, 'engineer-cert.pub');
    await assert.rejects(sign(out), /No support grant is active/);
    // Rows that are not active: ended, and past their end.
    for (const row of [
      { endedAt: new Date(), endReason: 'revoked', notAfter: new Date(Date.now() + 3_600_000) },
      { notAfter: new Date(Date.now() - 1_000) },
    ])
      await t.database.db.insert(schema.supportGrants).values({
        id: randomUUID(),
        instanceId,
        userId,
        principal: 'claw-support-000000000000000000000000',
        admin: false,
        ...row,
      });
    await assert.rejects(sign(out), /No support grant is active/);
    await assert.rejects(
      signSupportKey(
        { db: t.database.db, instances, now },
        {
          instanceId: 'not-a-uuid',
          caKey: ssh.keys.supportCa,
          publicKey: `${ssh.keys.engineer}.pub`,
          identity: 'alice',
        },
      ),
      /No such instance/,
    );

    const granted = await grant(600);
    const signed = await sign(out);
    assert.equal(signed.certificate, out);
    const listed = execFileSync('ssh-keygen', ['-L', '-f', out], { encoding: 'utf8', env: { TZ: 'UTC' } });
    assert.match(listed, new RegExp(`Principals: *\\n\\s+${granted.principal}\\n`));
    assert.match(listed, new RegExp(`Key ID: "alice@support grant ${granted.grantId}"`));
    assert.match(listed, new RegExp(`Valid: from \\S+ to ${granted.notAfter.replace(/\.000Z$/, '')}\\n`));
    assert.match(listed, /Signing CA: ED25519/);
    // Beside it, sshd's host key as the agent handed it out, under the instance id (ssh's HostKeyAlias).
    assert.equal(signed.knownHosts, join(work, `${instanceId}.known_hosts`));
    const knownHosts = readFileSync(signed.knownHosts, 'utf8');
    assert.equal(knownHosts, `${instanceId} ${ssh.hostPublicKey()}\n`);
    assert.doesNotMatch(knownHosts, /PRIVATE KEY/);

    // The certificate opens a session (directly to sshd here; through the tunnel below).
    const ran = await ssh.exec(out, `echo signed-${canary}`);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, `signed-${canary}\n`);
    assert.equal((await agentCall('DELETE', `/support/grants/${granted.grantId}`)).status, 200);
  });

  test('connect carries ssh through the tunnel while the grant is active, and ends with it', async () => {
    const granted = await grant(600);
    const signed = await sign(join(work, 'connect-cert.pub'));
    const { certificate } = signed;
    // ssh checks sshd's key strictly against the known_hosts that sign wrote: no trust on first use.
    const knownHosts = { file: signed.knownHosts, alias: instanceId };
    const ran = await ssh.exec(
      certificate,
      `echo connect-${canary}; id -un`,
      ssh.user,
      proxyCommand,
      knownHosts,
    );
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, `connect-${canary}\n${ssh.user}\n`);
    assert.match(agent.output(), /"event":"support\.tunnel_opened"/);

    // Another key under the instance id (a server that is not this instance's sshd), or none: ssh refuses.
    const otherKey = readFileSync(`${ssh.keys.engineer}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const wrong = { file: join(work, 'wrong.known_hosts'), alias: instanceId };
    for (const content of [`${instanceId} ${otherKey}\n`, '']) {
      writeFileSync(wrong.file, content);
      const refused = await ssh.exec(certificate, `echo refused-${canary}`, ssh.user, proxyCommand, wrong);
      assert.equal(refused.code, 255, refused.stderr);
      assert.match(refused.stderr, /Host key verification failed/);
      assert.equal(refused.stdout, '');
    }

    const session = ssh.open(certificate, proxyCommand);
    session.write(`echo "$((6*7))-via-cli"\n`);
    await session.waitFor(/42-via-cli/);
    const revokedAt = Date.now();
    assert.equal((await agentCall('DELETE', `/support/grants/${granted.grantId}`)).status, 200);
    const ms = (await session.exited) - revokedAt;
    assert.ok(ms < 5_000, `${ms} ms`);

    // The database still says active (nothing told it), the agent does not: the agent's word wins.
    await assert.rejects(
      openTunnelTo({ db: t.database.db, instances, now }, instanceId),
      /No support grant is active on this instance: the user has to grant access first/,
    );
    // So does sign, which asks the agent for sshd's keys: no certificate for a grant the agent has ended.
    const late = join(work, 'late-cert.pub');
    await assert.rejects(sign(late), /No support grant is active on this instance: the user has to grant/);
    assert.ok(!existsSync(late));
    assert.doesNotMatch(agent.output(), new RegExp(canary));
  });

  test('the tunnel client pins the agent and sends the credential to no one else', async () => {
    const row = await instanceRow();
    const endpoint = {
      url: agent.url,
      certificatePem: new X509Certificate(row.agentCertificate ?? Buffer.alloc(0)).toString(),
      fingerprint: row.agentFingerprint ?? '',
    };
    // The agent's log lines arrive through a pipe: let the earlier tests' lines land first.
    await sleep(300);
    const before = agent.output().length;
    await assert.rejects(
      openSupportTunnel({ ...endpoint, fingerprint: 'AA:'.repeat(31) + 'AA' }, 'x'.repeat(43)),
      /does not match the pinned one/,
    );
    // The wrong pin failed the handshake: the agent never saw a request.
    await sleep(300);
    assert.doesNotMatch(agent.output().slice(before), /refused/);
    await assert.rejects(openSupportTunnel(endpoint, 'x'.repeat(43)), /refused the instance credential/);
  });
});
