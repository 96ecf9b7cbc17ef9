// What the AWS provisioner sends to STS, without any server (moto checks no ExternalId across accounts):
// the connection's ExternalId, a 15-minute session named after the instance, and nothing for a bad id.
import assert from 'node:assert/strict';
import type { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { test } from 'node:test';
import { generateExternalId } from './external-id.ts';
import { createAwsProvisioner } from './provisioner.ts';

test('provisioning assumes the role with the ExternalId, 900 s, and a session named after the instance', async () => {
  const sent: Array<AssumeRoleCommand['input']> = [];
  const sts = {
    async send(command: AssumeRoleCommand): Promise<never> {
      sent.push(command.input);
      throw Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    },
  };
  const externalId = generateExternalId();
  const p = createAwsProvisioner(
    { roleArn: 'arn:aws:iam::111122223333:role/ClawCloud', externalId },
    { region: 'eu-central-1', sts },
  );
  const instanceId = '0b6a4c1e-5a8f-4d2b-9c3e-7f1a2b3c4d5e';
  await assert.rejects(p.get({ instanceId, providerId: 'i-0123456789abcdef0', region: 'eu-west-1' }), {
    name: 'ProviderError',
    code: 'AccessDenied',
    retryable: false,
  });
  assert.deepEqual(sent, [
    {
      RoleArn: 'arn:aws:iam::111122223333:role/ClawCloud',
      ExternalId: externalId,
      RoleSessionName: `claw-cloud-provision-${instanceId}`,
      DurationSeconds: 900,
    },
  ]);
  assert.ok((sent[0]?.RoleSessionName ?? '').length <= 64, 'STS limits session names to 64 characters');
  await assert.rejects(p.get({ instanceId: 'not-a-uuid', providerId: 'i-1', region: 'eu-west-1' }), /UUID/);
  assert.equal(sent.length, 1);
});

test('AWS prices are labelled as estimates, monthly = hourly × 730', async () => {
  const p = createAwsProvisioner(
    { roleArn: 'arn:aws:iam::111122223333:role/ClawCloud', externalId: generateExternalId() },
    { region: 'eu-central-1' },
  );
  for (const size of await p.listSizes()) {
    assert.equal(size.priceIsEstimate, true);
    assert.equal(size.priceMonthly, Math.round(size.priceHourly * 730 * 100) / 100);
  }
});
