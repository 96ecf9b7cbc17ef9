// Support access through the control plane, against a real agent process and a REAL sshd (the agent's
// openssh fixture, as root): the user grants with a fresh password confirmation, the support engineer logs in
// with a certificate of the support CA, the user reads the session log relayed live, and revoke/expiry close
// the door. What we keep is metadata: a canary typed in the session reaches no table and no log line of ours.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { opensshUnavailable, type OpenSshFixture } from '@claw/agent/testing/openssh-fixture';
import { startSupportedAgent } from '@claw/agent/testing/support-agent-env';
import { dumpDatabase, type AgentProcess } from '@claw/testing';
import { adoptedInstance, startTestPlane, type TestPlane } from '../test-support.ts';

const unavailable = opensshUnavailable();
if (unavailable !== undefined && process.env.CI === 'true') throw new Error(`CI=true: ${unavailable}`);

const canary = `CANARY-${crypto.randomUUID()}`;
let server: Awaited<ReturnType<typeof startSupportedAgent>> | undefined;
let ssh: OpenSshFixture;
let agent: AgentProcess;
let t: TestPlane;
let owner: Awaited<ReturnType<TestPlane['signUp']>>;
let instanceId: string;

before(async () => {
  if (unavailable) return;
  server = await startSupportedAgent();
  ({ ssh, agent } = server);
  t = await startTestPlane({
    CLAW_SUPPORT_CA_PUBLIC_KEY: ssh.caPublicKey(),
    CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  owner = await t.signUp();
  instanceId = await adoptedInstance(owner.client, agent, 'mine');
});

after(async () => {
  await t?.close();
  await server?.stop();
});

const supportPath = () => `/api/instances/${instanceId}/support`;

async function grant(body: Record<string, unknown> = {}) {
  await owner.client.post('/api/auth/reauthenticate', { password: owner.password });
  const granted = await owner.client.post(supportPath(), body);
  assert.equal(granted.status, 201, JSON.stringify(granted.json));
  return granted.json.grant as { id: string; principal: string; notAfter: string; state: string };
}

const certificateUntil = (notAfter: string) =>
  `-1m:${notAfter
    .replace(/[-:]/g, '')
    .replace('T', '')
    .replace(/\.\d+Z$|Z$/, '')}`;

async function auditEvents(): Promise<{ event: string; subject_id: string | null; until_at: Date | null }[]> {
  return t.database.query(
    `select event, subject_id, until_at from audit_log where instance_id = $1 and event like 'support.%' order by id`,
    [instanceId],
  );
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

test('the CA this control plane would ask instances to trust is shown by its fingerprint', async (ctx) => {
  if (unavailable) return ctx.skip(unavailable);
  const state = await owner.client.get(supportPath());
  assert.equal(state.status, 200);
  assert.equal(state.json.available, true);
  assert.equal(state.json.grant, null);
  const keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${ssh.keys.supportCa}.pub`], {
    encoding: 'utf8',
  });
  assert.equal(state.json.caFingerprint, keygen.split(' ')[1]);
});

test('granting needs a recent password confirmation; another user cannot see, grant or revoke', async (ctx) => {
  if (unavailable) return ctx.skip(unavailable);
  await t.database.query(
    `update sessions set reauthenticated_at = now() - interval '1 hour' where user_id = $1`,
    [owner.id],
  );
  const refused = await owner.client.post(supportPath(), {});
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 'auth.reauthentication_required');
  assert.equal((await owner.client.post(supportPath(), { durationSeconds: 86_401 })).status, 400);

  const other = await t.signUp();
  await other.client.post('/api/auth/reauthenticate', { password: other.password });
  assert.equal((await other.client.get(supportPath())).status, 404);
  assert.equal((await other.client.post(supportPath(), {})).status, 404);
  assert.equal((await other.client.get(`${supportPath()}/log`)).status, 404);
  assert.equal(
    (await other.client.delete(`${supportPath()}/${crypto.randomUUID()}`)).status,
    404,
    "another user's instance",
  );
  const state = await owner.client.get(supportPath());
  assert.equal(state.json.grant, null, 'nothing was opened by the refused requests');
});

test('grant → the engineer logs in with a certificate → the user reads the log → revoke closes at once', async (ctx) => {
  if (unavailable) return ctx.skip(unavailable);
  const early = ssh.sign(ssh.keys.supportCa, 'claw-support-none', '-1m:+1h');
  assert.notEqual((await ssh.exec(early, 'true')).code, 0, 'no way in before a grant');

  const granted = await grant({ durationSeconds: 3600 });
  assert.equal(granted.state, 'active');
  assert.match(granted.principal, /^claw-support-[0-9a-f]+$/);
  const untilMs = new Date(granted.notAfter).getTime() - Date.now();
  assert.ok(untilMs > 3590_000 && untilMs <= 3600_000, 'ends after the chosen duration');
  const again = await owner.client.post(supportPath(), {});
  assert.equal(again.status, 409, 'one grant at a time');

  const certificate = ssh.sign(ssh.keys.supportCa, granted.principal, certificateUntil(granted.notAfter));
  const session = await ssh.exec(certificate, `echo ${canary}`);
  assert.equal(session.code, 0, session.stderr);
  assert.match(session.stdout, new RegExp(canary));
  const wrongPrincipal = ssh.sign(
    ssh.keys.supportCa,
    'claw-support-0000',
    certificateUntil(granted.notAfter),
  );
  assert.notEqual((await ssh.exec(wrongPrincipal, 'true')).code, 0, "only the grant's principal");

  const log = await owner.client.get(`${supportPath()}/log`);
  assert.equal(log.status, 200);
  assert.equal(log.json.verification.ok, true);
  const start = log.json.entries.find((e: { type: string }) => e.type === 'session.start');
  assert.equal(start?.command, `echo ${canary}`, 'the command run is visible to the user');

  const state = await owner.client.get(supportPath());
  assert.equal(state.json.grant.state, 'active');
  assert.equal(state.json.liveSessions, 0);

  const mine = await t.signUp();
  assert.equal(
    (await mine.client.delete(`${supportPath()}/${granted.id}`)).status,
    404,
    "not revocable by someone else's session",
  );
  const revoked = await owner.client.delete(`${supportPath()}/${granted.id}`);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.json));
  assert.equal(revoked.json.grant.state, 'revoked');
  assert.notEqual((await ssh.exec(certificate, 'true')).code, 0, 'the certificate no longer opens anything');
  assert.equal((await owner.client.delete(`${supportPath()}/${granted.id}`)).status, 200, 'idempotent');

  const events = await auditEvents();
  assert.deepEqual(
    events.map((e) => e.event),
    ['support.granted', 'support.session_started', 'support.session_ended', 'support.revoked'],
  );
  assert.equal(events[0]?.until_at?.toISOString(), new Date(granted.notAfter).toISOString());
  assert.ok(events.every((e) => e.subject_id === granted.id));

  const dump = await dumpDatabase(t.database);
  assert.ok(!dump.includes(canary), 'the session content is in no table');
  assert.ok(!t.log.lines.join('\n').includes(canary), 'nor in our log lines');
});

test('a grant ends by itself: sshd refuses, the live session is cut, and the expiry is audited once', async (ctx) => {
  if (unavailable) return ctx.skip(unavailable);
  const granted = await grant({ durationSeconds: 60 });
  const certificate = ssh.sign(ssh.keys.supportCa, granted.principal, '-1m:+1h');
  const live = ssh.open(certificate);
  live.write('echo "$((6*7))-live"\n');
  await live.waitFor(/42-live/);
  const ended = await live.exited;
  const lateMs = ended - new Date(granted.notAfter).getTime();
  assert.ok(lateMs < 60_000, `the session ended ${lateMs} ms after the grant's end`);
  assert.notEqual((await ssh.exec(certificate, 'true')).code, 0, 'a longer certificate does not help');

  // The user's next look records the end (the sweep would, within 30 s).
  assert.ok(
    await waitUntil(
      async () => (await owner.client.get(supportPath())).json.grant.state === 'expired',
      10_000,
    ),
  );
  const events = (await auditEvents()).filter((e) => e.subject_id === granted.id).map((e) => e.event);
  assert.deepEqual(events, [
    'support.granted',
    'support.session_started',
    'support.session_ended',
    'support.expired',
  ]);
});
