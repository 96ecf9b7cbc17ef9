// Deploying from the dashboard on emulated DigitalOcean, as apps/server/src/provisioning/provisioning.peer.test.ts
// does it below the API: a stateful fake checked against the official spec by `prism proxy --errors`, and a real
// agent process playing the new server (the fake reports 127.0.0.1 as the Droplet's address). The journey
// performs the agent's registration callback with the code the fake received in the Droplet's user-data.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startAgentProcess, type AgentProcess } from '@claw/testing';
import { browserOrSkip } from '@claw/testing/browser';
import {
  deletesBySelector,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startDigitalOceanFake,
  type DigitalOceanFake,
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
const doToken = `dop_v1_${crypto.randomUUID().replaceAll('-', '')}`;
const PROGRESS = { timeout: 90_000 };

let unavailable: string | false = false;
let fake: DigitalOceanFake | undefined;
let gateway: Server | undefined;
let agent: AgentProcess | undefined;
let stack: Stack | undefined;

/**
 * The gateway's two unauthenticated probes, which are all the agent asks of it to call itself ready
 * (apps/agent/src/health.ts): the workflow turns "registering" into "ready" only when the gateway is.
 */
async function startReadyGateway(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const body = request.url === '/startupz' ? { version: '2026.9.6' } : { ok: true };
    response.writeHead(request.url === '/readyz' || request.url === '/startupz' ? 200 : 404, {
      'content-type': 'application/json',
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

before(
  async () => {
    const spec = locateSpec('digitalocean');
    unavailable = skipUnlessAvailable(spec, locatePrism());
    if (unavailable || !spec.ok) return;
    fake = await startDigitalOceanFake({ spec: spec.path, publicIpv4: '127.0.0.1' });
    const ready = await startReadyGateway();
    gateway = ready.server;
    agent = await startAgentProcess({ gatewayUrl: ready.url, gatewayToken: 'unused-gateway-token' });
    // With an https public URL the server accepts state-changing requests only from that origin (and sets a
    // Secure __Host- cookie): the browser's own origin must be added, so the port is chosen before start.
    const port = await freePort();
    stack = await startStack(
      {
        CLAW_PUBLIC_URL: 'https://claw.test',
        CLAW_ALLOWED_ORIGINS: `http://127.0.0.1:${port}`,
        CLAW_DIGITALOCEAN_API_URL: fake.url,
        CLAW_AGENT_PACKAGE: '@claw-cloud/agent@0.1.0',
        CLAW_AGENT_PACKAGE_INTEGRITY: `sha512-${'A'.repeat(86)}==`,
        CLAW_EGRESS_ADDRESSES: '198.51.100.7',
        CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
        CLAW_PROVISIONED_AGENT_PORT: new URL(agent.url).port,
        CLAW_PROVISION_POLL_MS: '100',
      },
      port,
    );
  },
  { timeout: 180_000 },
);
after(async () => {
  await stack?.close();
  await agent?.stop();
  await new Promise((resolve) => gateway?.close(resolve) ?? resolve(undefined));
  await fake?.stop();
});

const ours = (id: string) =>
  [...(fake?.droplets.values() ?? [])].filter((d) => d.tags.includes(`claw-instance-${id}`));

const server = (page: Page) => page.getByRole('region', { name: 'Server' });

/** Walks the wizard from Home to its last step, choosing fra1 and s-1vcpu-1gb. */
async function walkWizard(page: Page, shots: string): Promise<void> {
  await followNav(page, 'Home');
  await page.getByRole('link', { name: 'Deploy an instance' }).click();
  await expectHeading(page, 'Deploy an instance');

  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Choose where your server will run.').waitFor();
  await page.getByRole('radio', { name: /^DigitalOcean/ }).check();
  await screenshot(page, `${shots}-provider`);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '2. Choose a cloud account' }).waitFor();
  await page.getByRole('radio', { name: /^personal/ }).check();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '3. Choose a region' }).waitFor();
  await page.getByRole('radio', { name: /fra1/ }).check({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '4. Choose a size' }).waitFor();
  const size = page.getByRole('radio', { name: /^s-1vcpu-1gb/ });
  await size.check();
  // DigitalOcean's own price for the size, monthly and hourly.
  await page.getByText(/s-1vcpu-1gb.*\$6\.00 a month \(\$0\.\d+ an hour\)/).waitFor();
  await screenshot(page, `${shots}-size`);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: '5. Confirm and deploy' }).waitFor();
  const summary = page.getByRole('definition').filter({ hasText: '$6.00 a month' });
  await summary.waitFor();
  await page.getByText('See exactly what will run on your server').click();
  const preview = page.getByLabel('cloud-init user-data');
  await preview.getByText('#cloud-config').waitFor();
  const document = await preview.innerText();
  assert.match(document, /^#cloud-config/);
  assert.match(document, /<per-instance registration code>/);
  assert.match(document, /@claw-cloud\/agent/);
  await screenshot(page, `${shots}-confirm`);
}

test(
  'deploy from the wizard on DigitalOcean, watch it register and become ready, then destroy it',
  { timeout: 300_000 },
  async (t) => {
    if (unavailable || !stack || !fake || !agent) return t.skip(`cloud peers unavailable: ${unavailable}`);
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, context } = await openDashboard(t, browser, stack.url);
    await signUp(page, uniqueEmail('deploy'), password);
    // Chromium keeps a Secure cookie from http://127.0.0.1: loopback counts as a trustworthy origin.
    assert.match(await sessionCookie(context), /^__Host-claw_session=/);

    await followNav(page, 'Clouds', 'Cloud accounts');
    await page.getByLabel('Name for this connection').fill('personal');
    await page.getByLabel('DigitalOcean API token').fill(doToken);
    await page.getByRole('button', { name: 'Connect DigitalOcean' }).click();
    await page.getByText('DigitalOcean “personal” is connected and verified.').waitFor({ timeout: 60_000 });

    await walkWizard(page, 'deploy');
    await page.getByLabel('Name', { exact: true }).fill('frankfurt assistant');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expectHeading(page, 'frankfurt assistant');
    const id = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1) ?? '');

    // The steps follow the server's progress until the new server's agent must call back.
    const current = server(page).locator('[aria-current="step"]');
    await current.getByText('Registering').waitFor(PROGRESS);
    await server(page).getByText('Waiting for the agent on your server to call back and register.').waitFor();
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
    await screenshot(page, 'deploy-registering');
    assert.equal(ours(id).length, 1, 'exactly one Droplet for the instance');

    // The new server's agent calls back with the one-time code its user-data carries.
    const code = /"registrationCode": "([A-Za-z0-9_-]+)"/.exec(ours(id)[0]?.userData ?? '')?.[1];
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

    await current.getByText('Ready').waitFor(PROGRESS);
    await server(page).getByText('Your assistant is ready.').waitFor();
    await page.getByRole('region', { name: 'Health' }).getByText('Healthy').waitFor(PROGRESS);
    await page.getByRole('tab', { name: 'Chat' }).waitFor();
    assert.equal(await server(page).getByRole('button', { name: 'Stop…' }).isEnabled(), true);
    await screenshot(page, 'deploy-ready');

    await server(page).getByRole('button', { name: 'Destroy…' }).click();
    const confirm = server(page).getByRole('group', { name: 'Destroy “frankfurt assistant”?' });
    await confirm.getByText('This cannot be undone.').waitFor();
    await screenshot(page, 'deploy-destroy-confirm');
    await confirm.getByRole('button', { name: 'Destroy server' }).click();
    await current.getByText('Destroyed').waitFor(PROGRESS);
    await server(page)
      .getByText('The server and its firewall are deleted from your cloud account.')
      .waitFor();
    await screenshot(page, 'deploy-destroyed');
    assert.equal(ours(id).length, 0, 'the Droplet is gone');
    assert.equal(fake.droplets.size, 0, 'the fake has no Droplet left');
    assert.deepEqual(deletesBySelector(fake.requests()), [], 'never a delete by tag');

    await followNav(page, 'Home');
    const item = page
      .getByRole('list', { name: 'Instances' })
      .getByRole('listitem')
      .filter({ hasText: 'frankfurt assistant' });
    await item.getByText('Destroyed').waitFor();
    await item.getByText('fra1').waitFor();
    await item.getByText('s-1vcpu-1gb').waitFor();
    await screenshot(page, 'deploy-home');

    // On a phone: the wizard to its last step, the instance and the list fit the screen.
    await page.setViewportSize({ width: 360, height: 800 });
    await walkWizard(page, 'deploy-mobile');
    assert.ok(await fitsWidth(page), 'the wizard fits a 360 px screen');
    await page.goto(`/#/instances/${id}`);
    await expectHeading(page, 'frankfurt assistant');
    await server(page).getByText('Destroyed').first().waitFor();
    assert.ok(await fitsWidth(page), 'the instance page fits a 360 px screen');
    await screenshot(page, 'deploy-mobile-instance');
    await followNav(page, 'Home');
    assert.ok(await fitsWidth(page), 'Home fits a 360 px screen');
    await screenshot(page, 'deploy-mobile-home');
  },
);
