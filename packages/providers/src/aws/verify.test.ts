// What we send to STS, without any server: the ExternalId is always the connection's own.
import assert from 'node:assert/strict';
import type { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { test } from 'node:test';
import { generateExternalId } from './external-id.ts';
import { verifyAwsRole } from './verify.ts';

function recordingSts() {
  const sent: Array<AssumeRoleCommand['input']> = [];
  return {
    sent,
    sts: {
      async send(command: AssumeRoleCommand): Promise<never> {
        sent.push(command.input);
        throw Object.assign(new Error('denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      },
    },
  };
}

test("AssumeRole always carries the connection's ExternalId, a 15-minute session and a named purpose", async () => {
  const { sent, sts } = recordingSts();
  const alice = generateExternalId();
  const bob = generateExternalId();
  for (const externalId of [alice, bob]) {
    const result = await verifyAwsRole(
      { roleArn: 'arn:aws:iam::111122223333:role/ClawCloud', externalId },
      { region: 'eu-central-1', sts },
    );
    assert.ok(!result.ok);
    assert.match(result.reason, /ExternalId/);
  }
  assert.deepEqual(
    sent.map((input) => input.ExternalId),
    [alice, bob],
  );
  assert.notEqual(alice, bob);
  for (const input of sent) {
    assert.equal(input.DurationSeconds, 900);
    assert.equal(input.RoleSessionName, 'claw-cloud-verify');
  }
});

test('no AssumeRole without a well-formed ExternalId or role ARN', async () => {
  const { sent, sts } = recordingSts();
  const deps = { region: 'eu-central-1', sts };
  const roleArn = 'arn:aws:iam::111122223333:role/ClawCloud';
  for (const externalId of ['', 'acme', generateExternalId().slice(1)]) {
    const result = await verifyAwsRole({ roleArn, externalId }, deps);
    assert.ok(!result.ok);
  }
  const badArn = await verifyAwsRole(
    { roleArn: 'arn:aws:iam::1111:user/x', externalId: generateExternalId() },
    deps,
  );
  assert.ok(!badArn.ok);
  assert.equal(sent.length, 0);
});

test('an STS outage is a retryable error, not a verdict', async () => {
  const sts = {
    async send(): Promise<never> {
      throw Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      });
    },
  };
  await assert.rejects(
    verifyAwsRole(
      { roleArn: 'arn:aws:iam::111122223333:role/ClawCloud', externalId: generateExternalId() },
      { region: 'eu-central-1', sts },
    ),
    (err: Error & { retryable?: boolean; operation?: string }) =>
      err.retryable === true && err.operation === 'sts:AssumeRole',
  );
});
