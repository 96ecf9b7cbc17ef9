// Support access from the dashboard against a REAL sshd (the agent's openssh fixture, as root) behind a real
// agent process: the user grants after confirming their password, watches the countdown, a support engineer
// logs in with a certificate of the support CA and runs a command, the user reads it in the log, revokes,
// and the engineer's certificate no longer opens anything; a second, one-minute grant ends by itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { opensshUnavailable, type OpenSshFixture } from '@claw/agent/testing/openssh-fixture';
import { startSupportedAgent } from '@claw/agent/testing/support-agent-env';
import { dumpDatabase, type AgentProcess } from '@claw/testing';
import { browserOrSkip } from '@claw/testing/browser';
import {
  expectHeading,
  fitsWidth,
  followNav,
  openDashboard,
  screenshot,
  signUp,
  uniqueEmail,
} from './dashboard.ts';
import { startStack, type Stack } from './stack.ts';

const password = 'correct horse battery staple';

/** The instance's id from the dashboard's address (`#/instances/<id>?tab=support`). */
const instanceIdOf = (page: Page) => /#\/instances\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
const marker = `journey-${crypto.randomUUID()}`;

const unavailable = opensshUnavailable();
if (unavailable !== undefined && process.env.CI === 'true') throw new Error(`CI=true: ${unavailable}`);

let server: Awaited<ReturnType<typeof startSupportedAgent>> | undefined;
let ssh: OpenSshFixture | undefined;
let agent: AgentProcess | undefined;
let stack: Stack | undefined;

before(
  async () => {
    if (unavailable) return;
    server = await startSupportedAgent();
    ({ ssh, agent } = server);
    stack = await startStack({
      CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
      CLAW_SUPPORT_CA_PUBLIC_KEY: ssh.caPublicKey(),
    });
  },
  { timeout: 120_000 },
);
after(async () => {
  await stack?.close();
  await server?.stop();
});

test(
  "grant support access, watch it count down, see the engineer's command, revoke",
  { timeout: 240_000 },
  async (t) => {
    if (!stack || !agent || !ssh) return t.skip(`OpenSSH unavailable: ${unavailable}`);
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page } = await openDashboard(t, browser, stack.url);
    await signUp(page, uniqueEmail('support'), password);

    const adopt = page.getByRole('form', { name: 'Adopt an existing server' });
    await adopt.getByLabel('Name', { exact: true }).fill('helped server');
    await adopt.getByLabel('Agent URL').fill(agent.url);
    await adopt.getByLabel('Certificate fingerprint').fill(agent.fingerprint);
    await adopt.getByLabel('Registration code').fill(agent.registrationCode);
    await adopt.getByRole('button', { name: 'Adopt server' }).click();
    await page.getByRole('list', { name: 'Instances' }).getByRole('link', { name: 'helped server' }).click();
    await expectHeading(page, 'helped server');
    await page.getByRole('tab', { name: 'Support access' }).click();
    await page.getByRole('heading', { name: 'Let support into this server' }).waitFor({ timeout: 30_000 });
    await page.getByText('Nobody has been let in yet.').waitFor();
    await page.getByText('a transcript of its terminal').waitFor();
    await screenshot(page, 'support-grant');

    // The password was proven at sign-up; make that proof stale so the grant asks for it again.
    await stack.database.query(`update sessions set reauthenticated_at = now() - interval '1 hour'`);
    await page.getByLabel('For how long').selectOption({ label: '1 hour' });
    await page.getByRole('button', { name: 'Grant support access' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
    await dialog.getByText('opening your server to support needs your password again').waitFor();
    await dialog.getByLabel('Password').fill(password);
    await dialog.getByRole('button', { name: 'Confirm' }).click();

    await page.getByRole('heading', { name: 'Support access is open' }).waitFor({ timeout: 30_000 });
    await page.getByText('Active', { exact: true }).waitFor();
    const timer = page.getByRole('timer', { name: 'Time left' });
    const first = await timer.innerText();
    assert.match(first, /^0:59:[0-5]\d$|^1:00:00$/);
    // It counts down by itself, second by second (polled from here: the page's CSP forbids evaluated strings).
    const deadline = Date.now() + 5_000;
    while ((await timer.innerText()) === first) {
      assert.ok(Date.now() < deadline, 'the countdown moves');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await screenshot(page, 'support-active');
    assert.ok(await fitsWidth(page));

    // The support engineer, with a certificate for the principal the page shows and valid only for the grant.
    const principal = await page
      .getByRole('definition')
      .filter({ hasText: /^claw-support-/ })
      .innerText();
    const certificate = ssh.sign(ssh.keys.supportCa, principal.trim(), '-1m:+1h');
    const session = await ssh.exec(certificate, `echo ${marker}`);
    assert.equal(session.code, 0, session.stderr);

    // The log is read live from the server while access is open.
    await page.getByText(`echo ${marker}`).waitFor({ timeout: 30_000 });
    await page.getByText(/Chain verified: \d+ entr(y|ies), none altered\./).waitFor();
    await screenshot(page, 'support-log');

    await page.getByRole('button', { name: 'Revoke now' }).click();
    await page.getByText('Support access is closed. You revoked it').waitFor({ timeout: 30_000 });
    await page.getByText('Access revoked').waitFor({ timeout: 30_000 });
    assert.notEqual(
      (await ssh.exec(certificate, 'true')).code,
      0,
      'the certificate no longer opens anything',
    );

    // A grant also ends by itself. The shortest the dashboard offers is an hour; the API allows a minute,
    // asked here with the browser's own session, and the page shows the end when it comes.
    const short = await page.request.post(
      new URL(page.url()).origin + `/api/instances/${instanceIdOf(page)}/support`,
      {
        data: { durationSeconds: 60 },
        headers: { Origin: new URL(page.url()).origin },
      },
    );
    assert.equal(short.status(), 201, await short.text());
    await page.reload();
    await page.getByRole('heading', { name: 'Support access is open' }).waitFor({ timeout: 30_000 });
    await page.getByText('Support access is closed. It ended by itself').waitFor({ timeout: 90_000 });
    await page.getByText('Access ended by itself').waitFor({ timeout: 30_000 });

    await followNav(page, 'Activity');
    await page.getByText('Support access granted').first().waitFor();
    await page.getByText('Support access revoked').waitFor();
    await page.getByText('Support access ended by itself').waitFor();
    await page.getByText('Support session started').waitFor();
    assert.ok(!(await dumpDatabase(stack.database)).includes(marker), 'the session is in no table of ours');
    assert.ok(!stack.logLines().join('\n').includes(marker), 'nor in a log line');
  },
);
