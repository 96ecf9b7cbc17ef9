// Connecting clouds from the dashboard, verified against local peers: Prism serving DigitalOcean's official
// OpenAPI spec, and moto for AWS STS + EC2. Deleting asks for the password again once the proof is stale.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserOrSkip } from '@claw/testing/browser';
import {
  locateMoto,
  locatePrism,
  locateSpec,
  skipUnlessAvailable,
  startMoto,
  startPrism,
  type MotoPeer,
  type PrismPeer,
} from '@claw/testing/cloud-peers';
import { fitsWidth, followNav, openDashboard, screenshot, signUp, uniqueEmail } from './dashboard.ts';
import { startStack, type Stack } from './stack.ts';

const password = 'correct horse battery staple';
const doToken = `dop_v1_${crypto.randomUUID().replaceAll('-', '')}`;
const roleArn = 'arn:aws:iam::111122223333:role/ClawCloudProvisioning';

let unavailable: string | false = false;
let prism: PrismPeer | undefined;
let moto: MotoPeer | undefined;
let stack: Stack | undefined;

before(
  async () => {
    const spec = locateSpec('digitalocean');
    unavailable = skipUnlessAvailable(spec, locatePrism(), locateMoto());
    if (unavailable || !spec.ok) return;
    [prism, moto] = await Promise.all([startPrism({ spec: spec.path }), startMoto()]);
    // The platform's own identity for sts:AssumeRole, read by the AWS SDK from the environment.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'platform-dummy';
    stack = await startStack({
      CLAW_DIGITALOCEAN_API_URL: prism.url,
      CLAW_AWS_PRINCIPAL_ARN: 'arn:aws:iam::123456789012:role/claw-cloud-platform',
      CLAW_AWS_ENDPOINT: moto.url,
      CLAW_AWS_REGION: 'eu-central-1',
    });
  },
  { timeout: 180_000 },
);
after(async () => {
  await stack?.close();
  await Promise.allSettled([prism?.stop(), moto?.stop()]);
});

const connections = (page: Page) => page.getByRole('list', { name: 'Cloud accounts' });
const connection = (page: Page, label: string) =>
  connections(page)
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: label }) });

test(
  'connect a DigitalOcean token and an AWS role, see both verified, delete one after confirming the password',
  { timeout: 240_000 },
  async (t) => {
    if (unavailable || !stack) return t.skip(`cloud peers unavailable: ${unavailable}`);
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page } = await openDashboard(t, browser, stack.url);
    const email = uniqueEmail('clouds');
    await signUp(page, email, password);
    await followNav(page, 'Clouds', 'Cloud accounts');
    await page.getByText('No cloud accounts connected').waitFor();

    // DigitalOcean: the exact scopes are shown to copy, the token is verified against the spec's peer.
    const scopes = page.getByLabel('Required scopes');
    await scopes.getByText('droplet:create').waitFor();
    await screenshot(page, 'clouds-digitalocean');
    await page.getByLabel('Name for this connection').fill('personal');
    await page.getByLabel('DigitalOcean API token').fill(doToken);
    await page.getByRole('button', { name: 'Connect DigitalOcean' }).click();
    await page.getByText('DigitalOcean “personal” is connected and verified.').waitFor({ timeout: 60_000 });
    await connection(page, 'personal').getByText('Verified', { exact: true }).waitFor();
    await connection(page, 'personal')
      .getByText(`…${doToken.slice(-4)}`)
      .waitFor();

    // AWS: this user's ExternalId, which the trust policy names, then the role ARN, verified with moto.
    await page.getByRole('radio', { name: 'AWS' }).check();
    const externalId = await page.getByLabel('Your ExternalId').inputValue();
    assert.match(externalId, /^[A-Za-z0-9_-]{43}$/);
    await page.getByText('Trust policy (who may assume the role)').click();
    await page.getByLabel('Trust policy', { exact: true }).getByText(externalId).waitFor();
    const download = page.getByRole('link', { name: 'Download the CloudFormation template' });
    assert.match((await download.getAttribute('href')) ?? '', /^data:application\/json/);
    await screenshot(page, 'clouds-aws');
    await page.getByLabel('Name for this connection').fill('prod');
    await page.getByLabel('Role ARN').fill(roleArn);
    await page.getByRole('button', { name: 'Connect AWS' }).click();
    await page.getByText('AWS “prod” is connected and verified.').waitFor({ timeout: 90_000 });
    await connection(page, 'prod').getByText('Verified', { exact: true }).waitFor();
    assert.equal(await connections(page).getByRole('listitem').count(), 2);

    await connection(page, 'personal').getByRole('button', { name: 'Verify now' }).click();
    await connection(page, 'personal')
      .getByText('DigitalOcean “personal” is connected and verified.')
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'clouds-connected');

    // The proof of the password at sign-up is stale now: deleting asks for it again, then goes ahead.
    await stack.database.query(
      `update sessions set reauthenticated_at = now() - interval '1 day'
        where user_id = (select id from users where email = $1)`,
      [email],
    );
    await connection(page, 'personal').getByRole('button', { name: 'Delete…' }).click();
    await connection(page, 'personal').getByRole('button', { name: 'Delete connection' }).click();
    const prompt = page.getByRole('dialog', { name: 'Confirm your password' });
    await prompt.waitFor();
    await screenshot(page, 'clouds-step-up');
    await prompt.getByLabel('Password', { exact: true }).fill('not my password at all');
    await prompt.getByRole('button', { name: 'Confirm' }).click();
    await prompt.getByText('The password is incorrect.').waitFor();
    await prompt.getByLabel('Password', { exact: true }).fill(password);
    await prompt.getByRole('button', { name: 'Confirm' }).click();
    await prompt.waitFor({ state: 'hidden' });
    await connection(page, 'personal').waitFor({ state: 'detached' });

    await page.reload();
    await connection(page, 'prod').waitFor();
    assert.equal(await connections(page).getByRole('listitem').count(), 1);

    await page.setViewportSize({ width: 360, height: 800 });
    await page.getByRole('radio', { name: 'DigitalOcean' }).check();
    assert.ok(await fitsWidth(page), 'the Cloud accounts page fits a 360 px screen');
    await screenshot(page, 'clouds-mobile');
  },
);
