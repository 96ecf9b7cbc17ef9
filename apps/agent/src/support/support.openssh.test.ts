// Support access against a REAL OpenSSH server (testing/openssh-fixture.ts): the agent opens and closes
// grants, sshd decides every login, the recorder runs as sshd's ForceCommand. Needs root and Debian's
// openssh-server/openssh-client; without them the tests skip, unless CI=true (then they fail).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import tlsClient from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Agent } from '../agent.ts';
import { createAgent } from '../agent.ts';
import { loadAgentConfig } from '../config.ts';
import { httpsRequest } from '../testing/gateway-client.ts';
import { opensshUnavailable, startOpenSshFixture } from '../testing/openssh-fixture.ts';
import type { OpenSshFixture } from '../testing/openssh-fixture.ts';
import { pinnedTlsOptions } from '../testing/pinned-tls.ts';
import { supportAgentEnv } from '../testing/support-agent-env.ts';
import type { PinnedTlsOptions } from '../testing/pinned-tls.ts';
import type { AuditEntry } from './audit-log.ts';
import { sessionProcesses } from './session-killer.ts';
import { expiryTime } from './sshd-trust.ts';

/** The bound: a live support session ends within 60 s of expiry or revoke. */
const KILL_BOUND_MS = 60_000;
const TEST_TIMEOUT = { timeout: 90_000 };
const CANARY = `canary${crypto.randomBytes(6).toString('hex')}`;
const credential = crypto.randomBytes(32).toString('base64url');

const unavailable = opensshUnavailable();
if (unavailable !== undefined && process.env.CI === 'true') throw new Error(`CI=true: ${unavailable}`);

let ssh: OpenSshFixture;
let agent: Agent;
let tls: PinnedTlsOptions;
let stateDir: string;
const logLines: string[] = [];
const killLatencies: { expiry: number[]; revoke: number[] } = { expiry: [], revoke: [] };

async function startAgent(): Promise<void> {
  const config = loadAgentConfig({
    CLAW_AGENT_STATE_DIR: stateDir,
    CLAW_AGENT_HOST: '127.0.0.1',
    CLAW_AGENT_PORT: '0',
    OPENCLAW_GATEWAY_TOKEN: 'unused-gateway-token',
    ...supportAgentEnv(ssh),
  });
  agent = await createAgent(config, { writeLog: (line) => logLines.push(line) });
  tls = await pinnedTlsOptions(agent.url, agent.fingerprint);
  if (agent.registrationCode !== undefined) {
    const registered = await api('POST', '/register', { code: agent.registrationCode, credential }, false);
    assert.equal(registered.status, 200);
  }
}

async function api(method: string, route: string, body?: unknown, withCredential = true) {
  const result = await httpsRequest(`${agent.url}${route}`, tls, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(withCredential ? { authorization: `Bearer ${credential}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: result.status, json: JSON.parse(result.body) as Record<string, unknown> };
}

type Granted = { grantId: string; principal: string; notAfter: string };

async function grant(durationSeconds: number, extra: object = {}): Promise<Granted> {
  const { status, json } = await api('POST', '/support/grants', {
    caPublicKey: ssh.caPublicKey(),
    durationSeconds,
    admin: false,
    sourceAddresses: ['127.0.0.1/32'],
    ...extra,
  });
  assert.equal(status, 201, JSON.stringify(json));
  return json as Granted;
}

/** A certificate of the support CA for `principal`, valid exactly until the grant ends (as the CP signs it). */
function certificateFor(granted: Granted, principal = granted.principal): string {
  const until = expiryTime(Date.parse(granted.notAfter)).slice(0, -1);
  return ssh.sign(ssh.keys.supportCa, principal, `-1m:${until}Z`);
}

async function logEntries(): Promise<{ entries: AuditEntry[]; verification: Record<string, unknown> }> {
  const { status, json } = await api('GET', '/support/log?limit=10000');
  assert.equal(status, 200);
  return json as unknown as { entries: AuditEntry[]; verification: Record<string, unknown> };
}

function assertRefused(result: { code: number | null; stderr: string }): void {
  assert.equal(result.code, 255, result.stderr);
  assert.match(result.stderr, /Permission denied \(publickey\)/);
}

/** Opens an interactive session, runs a command in it and waits for its output. */
async function liveSession(certificate: string, marker: string) {
  const session = ssh.open(certificate);
  session.write(`echo "$((6*7))-${marker}"\n`);
  await session.waitFor(new RegExp(`42-${marker}`));
  return session;
}

/** ssh's ProxyCommand through the agent's support tunnel, as `claw-cloud support connect` is used. */
function viaTunnel(): string {
  const credentialFile = path.join(ssh.root, 'keys', 'instance-credential');
  fs.writeFileSync(credentialFile, credential, { mode: 0o600 });
  const script = path.join(import.meta.dirname, '..', 'testing', 'tunnel-proxy-command.ts');
  return [process.execPath, script, agent.url, agent.fingerprint, credentialFile].join(' ');
}

type RawAnswer = { status: number; head: string; socket: tlsClient.TLSSocket; received: () => Buffer };

/** Sends `request` (and `early`, in the same write) over pinned TLS and reads the agent's answer head. */
function rawRequest(request: string, early = ''): Promise<RawAnswer> {
  const { port } = new URL(agent.url);
  return new Promise((resolve, reject) => {
    const socket = tlsClient.connect({ host: '127.0.0.1', port: Number(port), ...tls }, () =>
      socket.write(request + early),
    );
    let data = Buffer.alloc(0);
    const received = () => data;
    const answer = () => {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const head = data.subarray(0, end).toString('latin1');
      resolve({ status: Number(head.split(' ')[1]), head, socket, received });
      return true;
    };
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      answered ||= answer();
    });
    socket.on('error', (err) => (answered ? undefined : reject(err)));
    socket.on('close', () => (answered ? undefined : reject(new Error(`closed after ${data.length} bytes`))));
  });
}

function tunnelRequest(
  headers: Record<string, string | undefined> = {},
  method = 'GET',
  route = '/support/tunnel',
): string {
  const all: Record<string, string | undefined> = {
    host: 'agent',
    connection: 'Upgrade',
    upgrade: 'claw-support-ssh',
    authorization: `Bearer ${credential}`,
    ...headers,
  };
  const lines = Object.entries(all).flatMap(([name, value]) =>
    value === undefined ? [] : `${name}: ${value}`,
  );
  return `${method} ${route} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A tunnel left open (sshd's banner seen), as a support engineer's idle connection would be. */
async function openRawTunnel(): Promise<RawAnswer> {
  const answer = await rawRequest(tunnelRequest());
  assert.equal(answer.status, 101, answer.head);
  await until(() => answer.received().includes('SSH-2.0-OpenSSH'));
  return answer;
}

function closed(socket: tlsClient.TLSSocket): Promise<number> {
  return new Promise((resolve) =>
    socket.closed || socket.destroyed ? resolve(Date.now()) : socket.once('close', () => resolve(Date.now())),
  );
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await sleep(20);
  }
}

const sshdConnections = () => (ssh.sshdLog().match(/Connection from /g) ?? []).length;

function skipIfUnavailable(t: TestContext): void {
  if (unavailable !== undefined) t.skip(`OpenSSH fixture unavailable: ${unavailable}`);
}

describe(
  'support access with a real sshd',
  { skip: unavailable && `OpenSSH fixture unavailable: ${unavailable}` },
  () => {
    before(async () => {
      ssh = await startOpenSshFixture();
      stateDir = fs.mkdtempSync(path.join(ssh.root, 'agent-state-'));
      await startAgent();
    });

    after(async () => {
      await agent?.close();
      await ssh?.stop();
    });

    test(
      'without a grant nothing of ours is trusted, and the API checks its input',
      TEST_TIMEOUT,
      async (t) => {
        skipIfUnavailable(t);
        assert.ok(!fs.existsSync(path.join(ssh.dropInDir, '50-claw-support.conf')));
        assert.match(ssh.effective(ssh.user), /^trustedusercakeys none$/m);
        const certificate = ssh.sign(ssh.keys.supportCa, 'claw-support-000000000000000000000000', '-1m:+5m');
        assertRefused(await ssh.exec(certificate, 'true'));

        assert.equal((await api('GET', '/support/grants', undefined, false)).status, 401);
        assert.equal((await api('POST', '/support/grants', {}, false)).status, 401);
        const bad = [
          { caPublicKey: ssh.caPublicKey(), durationSeconds: 86_401 },
          { caPublicKey: ssh.caPublicKey(), durationSeconds: 0 },
          { caPublicKey: `${ssh.caPublicKey()}\nssh-ed25519 AAAA` },
          { caPublicKey: `@cert-authority * ${ssh.caPublicKey()}` },
          { caPublicKey: ssh.caPublicKey(), admin: 'yes' },
          { caPublicKey: ssh.caPublicKey(), sourceAddresses: ['127.0.0.1/33'] },
          { caPublicKey: ssh.caPublicKey(), sourceAddresses: ['127.0.0.1",command="sh'] },
        ];
        for (const body of bad)
          assert.equal((await api('POST', '/support/grants', body)).status, 400, JSON.stringify(body));
        assert.deepEqual(await api('GET', '/support/grants'), {
          status: 200,
          json: { grant: null, liveSessions: 0 },
        });
        assert.equal((await api('DELETE', `/support/grants/${crypto.randomUUID()}`)).status, 404);
        assert.equal((await api('GET', '/support/host-keys', undefined, false)).status, 401);
        assert.deepEqual(await api('GET', '/support/host-keys'), {
          status: 409,
          json: { error: { code: 'no_active_grant' } },
        });
      },
    );

    test(
      'a grant admits the support CA for its principal only; the session is recorded and killed at expiry',
      TEST_TIMEOUT,
      async (t) => {
        skipIfUnavailable(t);
        const granted = await grant(8);
        assert.match(granted.principal, /^claw-support-[0-9a-f]{24}$/);
        assert.equal((await api('POST', '/support/grants', { caPublicKey: ssh.caPublicKey() })).status, 409);
        assert.ok(!fs.existsSync(path.join(ssh.root, 'sudoers.d', '50-claw-support')));
        assert.match(ssh.effective(ssh.user), /^forcecommand .*recorder-main\.ts/m);
        assert.match(ssh.effective('root'), /^trustedusercakeys none$/m);

        const certificate = certificateFor(granted);
        const ran = await ssh.exec(certificate, `echo exec-${CANARY}; id -un`);
        assert.equal(ran.code, 0, ran.stderr);
        assert.equal(ran.stdout, `exec-${CANARY}\n${ssh.user}\n`);

        assertRefused(await ssh.exec(certificateFor(granted, 'claw-support-someoneelse'), 'true'));
        assertRefused(await ssh.exec(ssh.sign(ssh.keys.supportCa, granted.principal, '-20m:-10m'), 'true'));
        assertRefused(await ssh.exec(ssh.sign(ssh.keys.supportCa, granted.principal, '+10m:+20m'), 'true'));
        assertRefused(await ssh.exec(ssh.sign(ssh.keys.otherCa, granted.principal, '-1m:+5m'), 'true'));
        assertRefused(await ssh.exec(certificate, 'true', 'root'));

        const session = await liveSession(certificate, `typed-${CANARY}`);
        assert.equal((await api('GET', '/support/grants')).json.liveSessions, 1);
        const exitedAt = await session.exited;
        const latency = exitedAt - Date.parse(granted.notAfter);
        killLatencies.expiry.push(latency);
        t.diagnostic(`live session ended ${latency} ms after expiry`);
        assert.ok(latency >= 0 && latency < KILL_BOUND_MS, `${latency} ms`);

        assert.deepEqual((await api('GET', '/support/grants')).json, { grant: null, liveSessions: 0 });
        assert.ok(!fs.existsSync(path.join(ssh.dropInDir, '50-claw-support.conf')));
        assert.match(ssh.effective(ssh.user), /^trustedusercakeys none$/m);
        assertRefused(await ssh.exec(certificate, 'true'));

        const { entries, verification } = await logEntries();
        assert.equal(verification.ok, true);
        const ofGrant = entries.filter((entry) => entry.grantId === granted.grantId);
        assert.deepEqual(
          ofGrant.map((entry) => entry.type),
          ['grant.opened', 'session.start', 'session.start', 'grant.expired'],
        );
        const starts = ofGrant.filter((entry) => entry.type === 'session.start');
        assert.equal(starts[0]?.command, `echo exec-${CANARY}; id -un`);
        assert.equal(
          starts[0]?.certificateKeyId,
          starts[0]?.certificateKeyId?.toString().match(/^engineer-\d+@support\.test$/)?.[0],
        );
        assert.equal(starts[1]?.tty, true);
        const text = (sessionId: unknown, type: string) =>
          entries
            .filter((e) => e.sessionId === sessionId && e.type === type)
            .map((e) => e.text)
            .join('');
        assert.match(text(starts[0]?.sessionId, 'output'), new RegExp(`exec-${CANARY}`));
        assert.match(
          text(starts[1]?.sessionId, 'input'),
          new RegExp(`echo "\\$\\(\\(6\\*7\\)\\)-typed-${CANARY}"`),
        );
        assert.match(text(starts[1]?.sessionId, 'output'), new RegExp(`42-typed-${CANARY}`));
        assert.ok(
          entries.some(
            (e) => e.type === 'session.end' && e.sessionId === starts[1]?.sessionId && e.reason === 'expired',
          ),
        );
        // The terminal content is in the recording only, never in the agent's own log lines.
        assert.ok(logLines.length > 0 && !logLines.join('').includes(CANARY));
      },
    );

    test(
      'revoke ends the grant and kills the live session at once, ten times over',
      { timeout: 120_000 },
      async (t) => {
        skipIfUnavailable(t);
        const principals = new Set<string>();
        for (let round = 0; round < 10; round += 1) {
          const granted = await grant(60);
          principals.add(granted.principal);
          const certificate = certificateFor(granted);
          const session = await liveSession(certificate, `round-${round}`);
          // A process that outlives its shell (ignores SIGHUP, own session): only the agent's kill ends it.
          if (round === 0) session.write(`setsid nohup sleep 600 >/dev/null 2>&1 < /dev/null &\n`);
          await sleep(round === 0 ? 300 : 0);
          const revokedAt = Date.now();
          const revoked = await api('DELETE', `/support/grants/${granted.grantId}`);
          assert.equal(revoked.status, 200);
          assert.equal(revoked.json.sessionsEnded, 1);
          if (round === 0)
            assert.ok((revoked.json.processesKilled as number) >= 1, JSON.stringify(revoked.json));
          assert.deepEqual(sessionProcesses(ssh.uid), []);
          const latency = (await session.exited) - revokedAt;
          killLatencies.revoke.push(latency);
          assert.ok(latency < KILL_BOUND_MS, `${latency} ms`);
          assertRefused(await ssh.exec(certificate, 'true'));
          assert.equal((await api('DELETE', `/support/grants/${granted.grantId}`)).status, 404);
        }
        assert.equal(principals.size, 10);
        // The recorder removes its FIFOs as soon as both ends are open: killed sessions leave nothing in /tmp.
        assert.deepEqual(
          fs.readdirSync('/tmp').filter((name) => fs.statSync(path.join('/tmp', name)).uid === ssh.uid),
          [],
        );
        t.diagnostic(
          `revoke -> session gone: max ${Math.max(...killLatencies.revoke)} ms, all ${killLatencies.revoke.join(', ')} ms`,
        );
      },
    );

    test('an administrator grant writes the sudoers entry for its lifetime only', TEST_TIMEOUT, async (t) => {
      skipIfUnavailable(t);
      const sudoers = path.join(ssh.root, 'sudoers.d', '50-claw-support');
      const granted = await grant(30, { admin: true });
      assert.equal((await api('GET', '/support/grants')).json.grant && true, true);
      assert.equal(fs.statSync(sudoers).mode & 0o777, 0o440);
      assert.match(
        fs.readFileSync(sudoers, 'utf8'),
        new RegExp(`^${ssh.user} ALL=\\(ALL:ALL\\) NOPASSWD: ALL$`, 'm'),
      );
      assert.equal((await api('DELETE', `/support/grants/${granted.grantId}`)).status, 200);
      assert.ok(!fs.existsSync(sudoers));
    });

    test(
      'the support tunnel: refused without a grant, and to anything that is not a tunnel request',
      TEST_TIMEOUT,
      async (t) => {
        skipIfUnavailable(t);
        const before = sshdConnections();
        const certificate = ssh.sign(ssh.keys.supportCa, 'claw-support-000000000000000000000000', '-1m:+5m');
        const refused = await ssh.exec(certificate, 'true', ssh.user, viaTunnel());
        assert.equal(refused.code, 255, refused.stderr);

        const refusals: [string, number, string][] = [
          // Bytes behind the request (an SSH banner) must not reach sshd when the tunnel is refused.
          [tunnelRequest(), 409, 'no_active_grant'],
          [tunnelRequest({ authorization: undefined }), 401, 'unauthorized'],
          [
            tunnelRequest({ authorization: `Bearer ${crypto.randomBytes(32).toString('base64url')}` }),
            401,
            'unauthorized',
          ],
          [tunnelRequest({ upgrade: 'websocket' }), 400, 'invalid_request'],
          [tunnelRequest({}, 'POST'), 404, 'not_found'],
          [tunnelRequest({}, 'HEAD'), 404, 'not_found'],
          [tunnelRequest({}, 'GET', '/support/tunnel/'), 404, 'not_found'],
          [tunnelRequest({}, 'GET', '/support/grants'), 404, 'not_found'],
          [tunnelRequest({ connection: undefined, upgrade: undefined }), 426, 'upgrade_required'],
          [
            tunnelRequest({ connection: undefined, upgrade: undefined, authorization: undefined }),
            401,
            'unauthorized',
          ],
        ];
        for (const [request, status, code] of refusals) {
          const answer = await rawRequest(request, 'SSH-2.0-OpenSSH_9.9\r\n');
          assert.equal(answer.status, status, `${request.split('\r\n')[0]} -> ${answer.head}`);
          await until(() => answer.received().includes(`{"error":{"code":"${code}"}}`));
          answer.socket.destroy();
        }
        const oversized = await rawRequest(tunnelRequest({ 'x-pad': 'a'.repeat(20_000) }));
        assert.equal(oversized.status, 431);
        // None of it opened a connection to sshd.
        await sleep(200);
        assert.equal(sshdConnections(), before);
      },
    );

    test(
      'during a grant ssh logs in through the tunnel, the session is recorded, and revoke cuts every tunnel',
      TEST_TIMEOUT,
      async (t) => {
        skipIfUnavailable(t);
        const granted = await grant(120);
        const certificate = certificateFor(granted);
        // sshd's host keys, as the control plane gets them for the engineer's known_hosts: public lines only.
        const hostKeys = await api('GET', '/support/host-keys');
        assert.deepEqual(hostKeys, { status: 200, json: { hostKeys: [ssh.hostPublicKey()] } });
        assert.doesNotMatch(JSON.stringify(hostKeys.json), /PRIVATE KEY/);
        const knownHosts = { file: path.join(ssh.root, 'keys', 'agent-known-hosts'), alias: 'instance-x' };
        const lines = (hostKeys.json.hostKeys as string[]).map((key) => `instance-x ${key}\n`);
        fs.writeFileSync(knownHosts.file, lines.join(''));
        const connectionsBefore = sshdConnections();
        const ran = await ssh.exec(
          certificate,
          `echo tunnel-${CANARY}; id -un`,
          ssh.user,
          viaTunnel(),
          knownHosts,
        );
        assert.equal(ran.code, 0, ran.stderr);
        assert.equal(ran.stdout, `tunnel-${CANARY}\n${ssh.user}\n`);
        assert.equal(sshdConnections(), connectionsBefore + 1);

        // The record shows the tunnel, and the session in it (sshd saw the tunnel's end as the client).
        const { entries } = await logEntries();
        const ofGrant = entries.filter((entry) => entry.grantId === granted.grantId);
        const opened = ofGrant.find((entry) => entry.type === 'tunnel.opened');
        const start = ofGrant.find((entry) => entry.type === 'session.start');
        assert.equal(start?.command, `echo tunnel-${CANARY}; id -un`);
        assert.equal(start?.client, opened?.client);
        assert.ok(
          entries.some(
            (e) => e.sessionId === start?.sessionId && e.type === 'output' && String(e.text).includes(CANARY),
          ),
        );
        const tunnelClosed = await (async () => {
          for (let i = 0; i < 100; i += 1) {
            const found = (await logEntries()).entries.find(
              (e) => e.type === 'tunnel.closed' && e.tunnelId === opened?.tunnelId,
            );
            if (found) return found;
            await sleep(50);
          }
          return undefined;
        })();
        assert.ok((tunnelClosed?.bytesIn as number) > 1000 && (tunnelClosed?.bytesOut as number) > 1000);
        assert.ok(['client_closed', 'sshd_closed'].includes(tunnelClosed?.reason as string));

        // A terminal session and an idle raw tunnel, both open when the user revokes.
        const session = ssh.open(certificate, viaTunnel());
        session.write(`echo "$((6*7))-tunnel-live"\n`);
        await session.waitFor(/42-tunnel-live/);
        const idle = await openRawTunnel();
        const revokedAt = Date.now();
        const revoked = await api('DELETE', `/support/grants/${granted.grantId}`);
        assert.equal(revoked.status, 200);
        const cut = Math.max(await closed(idle.socket), await session.exited) - revokedAt;
        t.diagnostic(`revoke -> tunnels cut: ${cut} ms`);
        assert.ok(cut < 5_000, `${cut} ms`);

        const after = await logEntries();
        const revokedEntry = after.entries.find(
          (e) => e.type === 'grant.revoked' && e.grantId === granted.grantId,
        );
        assert.equal(revokedEntry?.tunnelsCut, 2);
        assert.equal(
          after.entries.filter(
            (e) => e.type === 'tunnel.closed' && e.grantId === granted.grantId && e.reason === 'grant_ended',
          ).length,
          2,
        );
        assert.equal((await rawRequest(tunnelRequest())).status, 409);
        assert.equal((await ssh.exec(certificate, 'true', ssh.user, viaTunnel())).code, 255);

        // The agent's own log has the tunnels' metadata, never what went through them.
        const tunnelLines = logLines.filter((line) => line.includes('"support.tunnel_'));
        assert.ok(
          tunnelLines.some(
            (line) => line.includes('"reason":"grant_ended"') && line.includes(granted.grantId),
          ),
        );
        assert.ok(!logLines.join('').includes(CANARY));
      },
    );

    test('at most 8 tunnels at once', TEST_TIMEOUT, async (t) => {
      skipIfUnavailable(t);
      const granted = await grant(60);
      const open = await Promise.all(Array.from({ length: 8 }, () => openRawTunnel()));
      const ninth = await rawRequest(tunnelRequest());
      assert.equal(ninth.status, 503);
      assert.match(ninth.received().toString(), /"tunnel_limit"/);
      const first = open.shift();
      first?.socket.destroy();
      await closed(first!.socket);
      await sleep(100);
      open.push(await openRawTunnel());
      assert.equal((await api('DELETE', `/support/grants/${granted.grantId}`)).status, 200);
      await Promise.all(open.map((answer) => closed(answer.socket)));
    });

    test('a grant survives an agent restart and its expiry is still enforced', TEST_TIMEOUT, async (t) => {
      skipIfUnavailable(t);
      const granted = await grant(10);
      const certificate = certificateFor(granted);
      await agent.close();
      // Agent down: sshd still admits the certificate, but the recorder cannot record, so no session opens.
      const unrecorded = await ssh.exec(certificate, 'true');
      assert.equal(unrecorded.code, 1);
      assert.match(unrecorded.stderr, /recording is unavailable/);
      await startAgent();
      assert.equal(((await api('GET', '/support/grants')).json.grant as Granted).grantId, granted.grantId);
      const session = await liveSession(certificate, `restart-${CANARY}`);
      const latency = (await session.exited) - Date.parse(granted.notAfter);
      killLatencies.expiry.push(latency);
      t.diagnostic(`after a restart the live session ended ${latency} ms after expiry`);
      assert.ok(latency >= 0 && latency < KILL_BOUND_MS, `${latency} ms`);
      assert.deepEqual((await api('GET', '/support/grants')).json, { grant: null, liveSessions: 0 });
      assertRefused(await ssh.exec(certificate, 'true'));
    });

    test(
      'while the agent is down, sshd itself refuses a login after the grant expired',
      TEST_TIMEOUT,
      async (t) => {
        skipIfUnavailable(t);
        const granted = await grant(3);
        const certificate = ssh.sign(ssh.keys.supportCa, granted.principal, '-1m:+1h'); // outlives the grant
        await agent.close();
        await sleep(Math.max(0, Date.parse(granted.notAfter) - Date.now()) + 1_100);
        // The drop-in is still there (nobody removed it): the refusal is the principals file's expiry-time.
        assert.ok(fs.existsSync(path.join(ssh.dropInDir, '50-claw-support.conf')));
        assertRefused(await ssh.exec(certificate, 'true'));
        assert.match(ssh.sshdLog(), /expired/i);
        await startAgent();
        assert.ok(!fs.existsSync(path.join(ssh.dropInDir, '50-claw-support.conf')));
        assert.deepEqual((await api('GET', '/support/grants')).json, { grant: null, liveSessions: 0 });
        const { entries } = await logEntries();
        assert.ok(entries.some((e) => e.type === 'grant.expired' && e.grantId === granted.grantId));
      },
    );

    test('tampering with a past log entry is detected', TEST_TIMEOUT, async (t) => {
      skipIfUnavailable(t);
      assert.equal((await logEntries()).verification.ok, true);
      const file = path.join(stateDir, 'support', 'sessions.jsonl');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const index = lines.findIndex(
        (line) => line.includes(`typed-${CANARY}`) && line.includes('"type":"input"'),
      );
      const entry = JSON.parse(lines[index] ?? '') as AuditEntry;
      lines[index] = JSON.stringify({ ...entry, text: 'ls\r' });
      fs.writeFileSync(file, lines.join('\n'));
      assert.deepEqual((await logEntries()).verification, {
        ok: false,
        entries: lines.filter(Boolean).length,
        brokenAt: index,
        reason: 'hash',
      });
      t.diagnostic(
        `kill latencies: expiry ${killLatencies.expiry.join(', ')} ms; revoke max ${Math.max(...killLatencies.revoke)} ms`,
      );
    });
  },
);
