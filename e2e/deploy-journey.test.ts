// Deploying from the dashboard on each provider's emulator, as apps/server/src/provisioning/provisioning.peer.test.ts
// does it below the API: DigitalOcean and Hetzner on stateful fakes checked against the official specs by
// `prism proxy --errors`, AWS on moto, and a real agent process playing the new server (every emulator reports
// 127.0.0.1 as the VM's address). The journey performs the agent's registration callback with the code the
// emulator received in the VM's user-data, then stops, starts and destroys the server from the dashboard.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { startAgentProcess, type AgentProcess } from '@claw/testing';
import { browserOrSkip } from '@claw/testing/browser';
import {
  emulatedProviders,
  emulatorAvailability,
  skipUnlessAvailable,
  startEmulatedCloud,
  type EmulatedCloud,
  type EmulatedProvider,
} from '@claw/testing/cloud-peers';
import {
  expectHeading,
  fitsWidth,
  followNav,
  openDashboard,
  screenshot,
  sessionCookie,
  signUp,
  uniqueEmail,
} from './dashboard.ts';
import { freePort, startStack, type Stack } from './stack.ts';

const password = 'correct horse battery staple';
const PROGRESS = { timeout: 90_000 };

/** How the Clouds page asks for each provider's connection: the field's label and the value's key. */
const secretField: Record<EmulatedProvider, { label: string; key: string }> = {
  digitalocean: { label: 'DigitalOcean API token', key: 'token' },
  hetzner: { label: 'Hetzner Cloud API token', key: 'token' },
  aws: { label: 'Role ARN', key: 'roleArn' },
};

let gateway: Server | undefined;
let gatewayUrl = '';
/** Started together before the journeys (Prism's start is mostly waiting), each stopped after its own. */
const clouds = new Map<EmulatedProvider, Promise<EmulatedCloud>>();

/**
 * The gateway's two unauthenticated probes, which are all the agent asks of it to call itself ready
 * (apps/agent/src/health.ts): the workflow turns "registering" into "ready" only when the gateway is.
 */
before(async () => {
  gateway = createServer((request, response) => {
    const body = request.url === '/startupz' ? { version: '2026.9.6' } : { ok: true };
    response.writeHead(request.url === '/readyz' || request.url === '/startupz' ? 200 : 404, {
      'content-type': 'application/json',
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => gateway?.listen(0, '127.0.0.1', resolve));
  const address = gateway.address();
  assert.ok(address && typeof address === 'object');
  gatewayUrl = `http://127.0.0.1:${address.port}`;
  for (const provider of emulatedProviders) {
    if (skipUnlessAvailable(...emulatorAvailability(provider))) continue;
    const cloud = startEmulatedCloud(provider);
    cloud.catch(() => undefined); // reported by the journey that awaits it
    clouds.set(provider, cloud);
  }
});
after(async () => {
  await Promise.allSettled([...clouds.values()].map(async (cloud) => (await cloud).stop()));
  await new Promise((resolve) => gateway?.close(resolve) ?? resolve(undefined));
});

/** The emulated cloud, a new server's agent and the control plane, all stopped when the test ends. */
async function startWorld(
  t: TestContext,
  cloud: EmulatedCloud,
): Promise<{ stack: Stack; agent: AgentProcess }> {
  const agent = await startAgentProcess({ gatewayUrl, gatewayToken: 'unused-gateway-token' });
  t.after(() => agent.stop());
  // With an https public URL the server accepts state-changing requests only from that origin (and sets a
  // Secure __Host- cookie): the browser's own origin must be added, so the port is chosen before start.
  const port = await freePort();
  const stack = await startStack(
    {
      ...cloud.env,
      CLAW_PUBLIC_URL: 'https://claw.test',
      CLAW_ALLOWED_ORIGINS: `http://127.0.0.1:${port}`,
      CLAW_AGENT_PACKAGE: '@claw-cloud/agent@0.1.0',
      CLAW_AGENT_PACKAGE_INTEGRITY: `sha512-${'A'.repeat(86)}==`,
      CLAW_EGRESS_ADDRESSES: '198.51.100.7',
      CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
      CLAW_PROVISIONED_AGENT_PORT: new URL(agent.url).port,
      CLAW_PROVISION_POLL_MS: '100',
    },
    port,
  );
  t.after(() => stack.close());
  return { stack, agent };
}

const server = (page: Page) => page.getByRole('region', { name: 'Server' });

/** Walks the wizard from Home to its last step with the cloud's region and size; returns the price shown. */
async function walkWizard(page: Page, cloud: EmulatedCloud, shots: string): Promise<string> {
  await followNav(page, 'Home');
  await page.getByRole('link', { name: 'Deploy an instance' }).click();
  await expectHeading(page, 'Deploy an instance');

  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Choose where your server will run.').waitFor();
  await page.getByRole('radio', { name: new RegExp(`^${cloud.name}`) }).check();
  await screenshot(page, `${shots}-provider`);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '2. Choose a cloud account' }).waitFor();
  await page.getByRole('radio', { name: /^personal/ }).check();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '3. Choose a region' }).waitFor();
  await page.getByRole('radio', { name: new RegExp(cloud.region) }).check({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '4. Choose a size' }).waitFor();
  await page.getByRole('radio', { name: new RegExp(`^${cloud.size.replace('.', '\\.')}`) }).check();
  // The provider's own price for the size, monthly and hourly, and the same monthly price at the end.
  const offer = await page
    .getByText(new RegExp(`${cloud.size.replace('.', '\\.')}.*a month \\(.+ an hour\\)`))
    .innerText();
  const monthly = /(\S+ a month)/.exec(offer)?.[1];
  assert.ok(monthly, offer);
  await screenshot(page, `${shots}-size`);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '5. Confirm and deploy' }).waitFor();
  await page.getByRole('definition').filter({ hasText: monthly }).waitFor();
  await page.getByText('See exactly what will run on your server').click();
  const preview = page.getByLabel('cloud-init user-data');
  await preview.getByText('#cloud-config').waitFor();
  const document = await preview.innerText();
  assert.match(document, /^#cloud-config/);
  assert.match(document, /<per-instance registration code>/);
  assert.match(document, /@claw-cloud\/agent/);
  await screenshot(page, `${shots}-confirm`);
  return monthly;
}

for (const provider of emulatedProviders) {
  test(
    `deploy from the wizard on emulated ${provider}, watch it become ready, stop and start it, then destroy it`,
    { timeout: 300_000 },
    async (t) => {
      const unavailable = skipUnlessAvailable(...emulatorAvailability(provider));
      if (unavailable) return t.skip(`cloud peers unavailable: ${unavailable}`);
      const browser = await browserOrSkip(t);
      if (!browser) return;
      const cloud = await clouds.get(provider);
      assert.ok(cloud);
      const { stack, agent } = await startWorld(t, cloud);
      const shots = `deploy-${provider}`;
      const name = `${provider} assistant`;

      const { page, context } = await openDashboard(t, browser, stack.url);
      await signUp(page, uniqueEmail('deploy'), password);
      // Chromium keeps a Secure cookie from http://127.0.0.1: loopback counts as a trustworthy origin.
      assert.match(await sessionCookie(context), /^__Host-claw_session=/);

      await followNav(page, 'Clouds', 'Cloud accounts');
      await page.getByRole('radio', { name: cloud.name, exact: true }).check();
      const connection = cloud.connection('personal');
      await page.getByLabel('Name for this connection').fill('personal');
      const field = secretField[provider];
      await page.getByLabel(field.label).fill(connection[field.key] ?? '');
      await page.getByRole('button', { name: `Connect ${cloud.name}` }).click();
      await page
        .getByText(`${cloud.name} “personal” is connected and verified.`)
        .waitFor({ timeout: 60_000 });

      const monthly = await walkWizard(page, cloud, shots);
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByRole('button', { name: 'Deploy', exact: true }).click();
      await expectHeading(page, name);
      const id = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1) ?? '');

      // The steps follow the server's progress until the new server's agent must call back.
      const current = server(page).locator('[aria-current="step"]');
      await current.getByText('Registering').waitFor(PROGRESS);
      await server(page)
        .getByText('Waiting for the agent on your server to call back and register.')
        .waitFor();
      assert.deepEqual(
        await server(page).getByRole('list', { name: 'Progress' }).getByRole('listitem').allTextContents(),
        [
          'Requested (done)',
          'Creating (done)',
          'Booting (done)',
          'Registering (current step)',
          'Ready (to do)',
        ],
      );
      // Only what applies now: a server still registering can be destroyed, not stopped or rebooted.
      assert.equal(await server(page).getByRole('button', { name: 'Stop…' }).isDisabled(), true);
      assert.equal(await server(page).getByRole('button', { name: 'Destroy…' }).isEnabled(), true);
      await screenshot(page, `${shots}-registering`);
      const vms = await cloud.vmsOf(id);
      assert.equal(vms.length, 1, 'exactly one VM for the instance');

      // The new server's agent calls back with the one-time code its user-data carries.
      const code = /"registrationCode": "([A-Za-z0-9_-]+)"/.exec(vms[0]?.userData ?? '')?.[1];
      assert.ok(code, 'the user-data carries the one-time registration code');
      const callback = await fetch(new URL('/api/agent/register', stack.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          instanceId: id,
          registrationCode: code,
          fingerprint: agent.fingerprint,
          adoptionCode: agent.registrationCode,
        }),
      });
      assert.equal(callback.status, 200, await callback.text());

      const ready = async (shot: string) => {
        await current.getByText('Ready').waitFor(PROGRESS);
        await server(page).getByText('Your assistant is ready.').waitFor();
        await page.getByRole('region', { name: 'Health' }).getByText('Healthy').waitFor(PROGRESS);
        assert.equal(await server(page).getByRole('button', { name: 'Stop…' }).isEnabled(), true);
        assert.equal(await server(page).getByRole('button', { name: 'Start' }).isDisabled(), true);
        await screenshot(page, `${shots}-${shot}`);
      };
      await ready('ready');
      await page.getByRole('tab', { name: 'Chat' }).waitFor();

      // Stop asks first and says a stopped server may still be billed; Start does not ask.
      await server(page).getByRole('button', { name: 'Stop…' }).click();
      const stop = server(page).getByRole('group', { name: `Stop “${name}”?` });
      await stop.getByText(`${cloud.name} may still bill for a stopped server.`).waitFor();
      await screenshot(page, `${shots}-stop-confirm`);
      await stop.getByRole('button', { name: 'Stop server' }).click();
      await current.getByText('Stopped').waitFor(PROGRESS);
      await server(page).getByText('The server is off.', { exact: false }).waitFor();
      await server(page).getByRole('button', { name: 'Start' }).waitFor({ state: 'visible' });
      assert.equal(await server(page).getByRole('button', { name: 'Stop…' }).isDisabled(), true);
      await screenshot(page, `${shots}-stopped`);

      await server(page).getByRole('button', { name: 'Start' }).click();
      await ready('started');
      assert.deepEqual(
        (await cloud.vmsOf(id)).map((vm) => vm.id),
        [vms[0]?.id],
        'stop and start act on the same VM',
      );

      await server(page).getByRole('button', { name: 'Destroy…' }).click();
      const confirm = server(page).getByRole('group', { name: `Destroy “${name}”?` });
      await confirm.getByText('This cannot be undone.').waitFor();
      await screenshot(page, `${shots}-destroy-confirm`);
      await confirm.getByRole('button', { name: 'Destroy server' }).click();
      await current.getByText('Destroyed').waitFor(PROGRESS);
      await server(page)
        .getByText('The server and its firewall are deleted from your cloud account.')
        .waitFor();
      await screenshot(page, `${shots}-destroyed`);
      assert.deepEqual(await cloud.vmsOf(id), [], 'no VM carries the instance tag any more');
      assert.deepEqual(await cloud.deletesBySelector(), [], 'never a delete by tag or selector');

      await followNav(page, 'Home');
      const item = page
        .getByRole('list', { name: 'Instances' })
        .getByRole('listitem')
        .filter({ hasText: name });
      await item.getByText('Destroyed').waitFor();
      await item.getByText(cloud.region).waitFor();
      await item.getByText(cloud.size).waitFor();
      // The price shown at deploy stays on the list ("about …" for an estimate).
      await item.getByText(monthly).waitFor();
      await screenshot(page, `${shots}-home`);

      // On a phone: the wizard to its last step, the instance and the list fit the screen.
      await page.setViewportSize({ width: 360, height: 800 });
      await walkWizard(page, cloud, `${shots}-mobile`);
      assert.ok(await fitsWidth(page), 'the wizard fits a 360 px screen');
      await page.goto(`/#/instances/${id}`);
      await expectHeading(page, name);
      await server(page).getByText('Destroyed').first().waitFor();
      assert.ok(await fitsWidth(page), 'the instance page fits a 360 px screen');
      await screenshot(page, `${shots}-mobile-instance`);
      await followNav(page, 'Home');
      assert.ok(await fitsWidth(page), 'Home fits a 360 px screen');
      await screenshot(page, `${shots}-mobile-home`);
    },
  );
}
