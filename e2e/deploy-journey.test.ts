// Deploying from the dashboard on each provider's emulator, as apps/server/src/provisioning/provisioning.peer.test.ts
// does it below the API: DigitalOcean and Hetzner on stateful fakes checked against the official specs by
// `prism proxy --errors`, AWS on moto, and a real agent process playing the new server (every emulator reports
// 127.0.0.1 as the VM's address) in front of the REAL OpenClaw gateway. The journey performs the agent's
// registration callback with the code the emulator received in the VM's user-data, sets up the model, chats,
// then stops, starts (and chats again) and destroys the server from the dashboard. The gateway costs 15-40 s
// and about 1 GB: one for the file, each journey's agent in front of it; without it the journeys skip, unless
// CI is set.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { callBackAsNewServer, registrationCodeIn, startAgentProcess, type AgentProcess } from '@claw/testing';
import { browserOrSkip } from '@claw/testing/browser';
import {
  emulatedProviders,
  emulatorAvailability,
  skipUnlessAvailable,
  provisioningEnv,
  startEmulatedCloud,
  type EmulatedCloud,
  type EmulatedProvider,
} from '@claw/testing/cloud-peers';
import type { OpenClawPeer } from '@claw/testing/openclaw-peer';
import {
  assertModelKeyNotKept,
  chat,
  fillModel,
  forgetModelKey,
  recordRequests,
  setUpModel,
  startEchoPeer,
  transcript,
} from './assistant.ts';
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

/** The one provider whose model key is entered in the deploy wizard and sent when the server is ready. */
const modelInWizard: EmulatedProvider = 'digitalocean';

/** Started together before the journeys (Prism's start is mostly waiting), each stopped after its own. */
const clouds = new Map<EmulatedProvider, Promise<EmulatedCloud>>();
let gateway: ReturnType<typeof startEchoPeer> | undefined;

before(() => {
  gateway = startEchoPeer();
  gateway.catch(() => undefined); // reported by the journeys that await it
  for (const provider of emulatedProviders) {
    if (skipUnlessAvailable(...emulatorAvailability(provider))) continue;
    const cloud = startEmulatedCloud(provider);
    cloud.catch(() => undefined); // reported by the journey that awaits it
    clouds.set(provider, cloud);
  }
});
after(async () => {
  await Promise.allSettled([
    ...[...clouds.values()].map(async (cloud) => (await cloud).stop()),
    (async () => {
      const peer = await gateway;
      if (peer && !('unavailable' in peer)) await peer.stop();
    })(),
  ]);
});

/**
 * The new server's agent in front of the file's gateway, and the control plane on the emulated cloud, both
 * stopped when the test ends. An agent registers once, so each journey has its own.
 */
async function startWorld(
  t: TestContext,
  cloud: EmulatedCloud,
  peer: OpenClawPeer,
): Promise<{ stack: Stack; agent: AgentProcess }> {
  const agent = await startAgentProcess({ gatewayUrl: peer.gatewayUrl, gatewayToken: peer.token });
  t.after(() => agent.stop());
  // With an https public URL the server accepts state-changing requests only from that origin (and sets a
  // Secure __Host- cookie): the browser's own origin must be added, so the port is chosen before start.
  const port = await freePort();
  const stack = await startStack(
    {
      ...provisioningEnv(cloud, new URL(agent.url).port),
      CLAW_ALLOWED_ORIGINS: `http://127.0.0.1:${port}`,
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
    `deploy from the wizard on emulated ${provider}, watch it become ready, chat, stop and start it, then destroy it`,
    { timeout: 300_000 },
    async (t) => {
      const unavailable = skipUnlessAvailable(...emulatorAvailability(provider));
      if (unavailable) return t.skip(`cloud peers unavailable: ${unavailable}`);
      const peer = await gateway;
      assert.ok(peer);
      if ('unavailable' in peer) return t.skip(`OpenClaw peer unavailable: ${peer.unavailable}`);
      const browser = await browserOrSkip(t);
      if (!browser) return;
      const cloud = await clouds.get(provider);
      assert.ok(cloud);
      // The journeys share the gateway: each server comes up without a model key, as a new one does.
      await forgetModelKey(peer);
      const { stack, agent } = await startWorld(t, cloud, peer);
      const shots = `deploy-${provider}`;
      const name = `${provider} assistant`;

      const { page, context } = await openDashboard(t, browser, stack.url);
      const requests = recordRequests(page);
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
      if (provider === modelInWizard) {
        await page.getByText('Your assistant’s model key (optional, now or later)').click();
        await fillModel(page.getByRole('form', { name: 'Confirm and deploy' }), peer);
      }
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
      const code = registrationCodeIn(vms[0]?.userData);
      assert.ok(code, 'the user-data carries the one-time registration code');
      const callback = await callBackAsNewServer(stack.url, id, code, agent);
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

      // The model: a key given at deploy is sent by the page once the server is ready, and the chat takes it
      // up; else the chat asks for it to be set up. Either way the key goes to the server only.
      if (provider === modelInWizard) {
        await page
          .getByRole('status')
          .filter({ hasText: 'Your model key is now on your server. Claw Cloud kept no copy.' })
          .waitFor(PROGRESS);
      } else {
        await setUpModel(page, peer, shots);
      }
      const hello = `hello from ${name}`;
      await chat(page, hello, `ECHO: ${hello}`);
      await screenshot(page, `${shots}-chat`);
      await assertModelKeyNotKept(requests, stack, agent);

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
      // The pipe reaches the restarted server, and the conversation is still there, read from it.
      const again = `${name} is back`;
      await chat(page, again, `ECHO: ${again}`);
      await transcript(page).getByText(hello, { exact: true }).waitFor();

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
