// Support access against a REAL OpenSSH server (testing/openssh-fixture.ts): the agent opens and closes
// grants, sshd decides every login, the recorder runs as sshd's ForceCommand. Needs root and Debian's
// openssh-server/openssh-client; without them the tests skip, unless CI=true (then they fail).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Agent } from '../agent.ts';
import { createAgent } from '../agent.ts';
import { loadAgentConfig } from '../config.ts';
import { httpsRequest } from '../testing/gateway-client.ts';
import { opensshUnavailable, startOpenSshFixture } from '../testing/openssh-fixture.ts';
import type { OpenSshFixture } from '../testing/openssh-fixture.ts';
import { pinnedTlsOptions } from '../testing/pinned-tls.ts';
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
    CLAW_AGENT_SUPPORT: 'on',
    CLAW_AGENT_SUPPORT_USER: ssh.user,
    CLAW_AGENT_SUPPORT_SSHD_CONFIG: ssh.sshdConfig,
    CLAW_AGENT_SUPPORT_DROP_IN: path.join(ssh.dropInDir, '50-claw-support.conf'),
    CLAW_AGENT_SUPPORT_TRUST_DIR: path.join(ssh.root, 'trust'),
    CLAW_AGENT_SUPPORT_SUDOERS: path.join(ssh.root, 'sudoers.d', '50-claw-support'),
    CLAW_AGENT_SUPPORT_SSHD_PID_FILE: ssh.pidFile,
    CLAW_AGENT_SUPPORT_SOCKET: path.join(ssh.root, 'run', 'support.sock'),
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
