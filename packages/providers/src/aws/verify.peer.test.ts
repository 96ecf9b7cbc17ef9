// AWS role verification against moto (shared/notes/cloud-test-peers.md §1). Default mode proves the round trip
// (AssumeRole, then a DryRun per call); IAM enforcement mode proves that the shipped actions are enough and
// that a missing one is named exactly. moto evaluates identity policies at action level only (EC2 resource
// ARNs are matched against "*" and tag conditions are ignored), so these tests use a variant of the shipped
// policy with every Resource "*" and no Condition: same actions, scoping checked by permissions.test.ts.
import assert from 'node:assert/strict';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { after, before, describe, test } from 'node:test';
import type { MotoPeer } from '../../../testing/src/cloud-peers/index.ts';
import { locateMoto, skipUnlessAvailable, startMoto } from '../../../testing/src/cloud-peers/index.ts';
import type { AwsCredentialIdentity } from './client.ts';
import { generateExternalId } from './external-id.ts';
import type { PolicyDocument } from './permissions.ts';
import { permissionPolicy, trustPolicy } from './permissions.ts';
import { verifyAwsRole } from './verify.ts';

const REGION = 'eu-central-1';
const PLATFORM_ACCOUNT = '123456789012'; // moto's default account
const CUSTOMER_ACCOUNT = '111122223333';
const DUMMY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'dummy' };

/** The shipped policy's actions with moto's limits applied: Resource "*", no conditions. */
function motoCompatible(policy: PolicyDocument, without: string[] = []): PolicyDocument {
  const actions = policy.Statement.flatMap((s) => s.Action).filter((a) => !without.includes(a));
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'All', Effect: 'Allow', Action: [...new Set(actions)], Resource: '*' }],
  };
}

function iamFor(moto: MotoPeer, accountId: string): IAMClient {
  const iam = new IAMClient({ endpoint: moto.url, region: 'us-east-1', credentials: DUMMY, maxAttempts: 1 });
  // moto keeps one state per account; this header picks the account (notes §1).
  iam.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = accountId;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return iam;
}

describe('AWS role verification (moto)', { skip: skipUnlessAvailable(locateMoto()) }, () => {
  let moto: MotoPeer;
  let imageId: string;
  before(async () => {
    moto = await startMoto();
  });
  after(() => moto?.stop());

  async function findImage(): Promise<string> {
    const ec2 = new EC2Client({ endpoint: moto.url, region: REGION, credentials: DUMMY, maxAttempts: 1 });
    const out = await ec2.send(new DescribeImagesCommand({}));
    const id = out.Images?.[0]?.ImageId;
    assert.ok(id, 'moto has built-in AMIs');
    return id;
  }

  test('default mode: assume the role, then every dry run answers DryRunOperation', async () => {
    await moto.reset();
    imageId = await findImage();
    const result = await verifyAwsRole(
      { roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/ClawCloud`, externalId: generateExternalId() },
      { region: REGION, endpoint: moto.url, platformCredentials: DUMMY, probeImageId: imageId },
    );
    assert.deepEqual(result, {
      ok: true,
      account: { id: CUSTOMER_ACCOUNT, name: 'ClawCloud' },
      unverified: [],
    });
  });

  describe('IAM enforcement mode', () => {
    let platform: AwsCredentialIdentity;
    const externalId = generateExternalId();
    const userArn = `arn:aws:iam::${PLATFORM_ACCOUNT}:user/claw-cloud-platform`;

    before(async () => {
      await moto.disableIamAuth();
      await moto.reset();
      imageId = await findImage();
      const own = iamFor(moto, PLATFORM_ACCOUNT);
      await own.send(new CreateUserCommand({ UserName: 'claw-cloud-platform' }));
      await own.send(
        new PutUserPolicyCommand({
          UserName: 'claw-cloud-platform',
          PolicyName: 'assume-customer-roles',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/*' }],
          }),
        }),
      );
      const key = await own.send(new CreateAccessKeyCommand({ UserName: 'claw-cloud-platform' }));
      platform = {
        accessKeyId: key.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
      };

      const customer = iamFor(moto, CUSTOMER_ACCOUNT);
      const roles: Array<[string, PolicyDocument]> = [
        ['ClawCloud', motoCompatible(permissionPolicy())],
        ['ClawCloudNoTerminate', motoCompatible(permissionPolicy(), ['ec2:TerminateInstances'])],
        [
          'ClawCloudNoCreate',
          motoCompatible(permissionPolicy(), ['ec2:RunInstances', 'ec2:CreateSecurityGroup']),
        ],
      ];
      for (const [name, policy] of roles) {
        await customer.send(
          new CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: JSON.stringify(
              trustPolicy({ platformPrincipalArn: userArn, externalId }),
            ),
          }),
        );
        await customer.send(
          new PutRolePolicyCommand({
            RoleName: name,
            PolicyName: 'claw-cloud',
            PolicyDocument: JSON.stringify(policy),
          }),
        );
      }
      // moto checks the trust policy's ExternalId only for a role in the caller's own account (notes §1).
      await own.send(
        new CreateRoleCommand({
          RoleName: 'SameAccount',
          AssumeRolePolicyDocument: JSON.stringify(
            trustPolicy({ platformPrincipalArn: userArn, externalId }),
          ),
        }),
      );
      await moto.enableIamAuth();
    });
    after(() => moto.disableIamAuth());

    const verify = (role: string) =>
      verifyAwsRole(
        { roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${role}`, externalId },
        { region: REGION, endpoint: moto.url, platformCredentials: platform, probeImageId: imageId },
      );

    test('the shipped actions are enough for every call provisioning makes', async () => {
      const result = await verify('ClawCloud');
      assert.equal(result.ok, true, JSON.stringify(result));
    });

    test('a role without ec2:TerminateInstances is reported precisely', async () => {
      const result = await verify('ClawCloudNoTerminate');
      assert.ok(!result.ok);
      assert.deepEqual(result.missing, ['ec2:TerminateInstances']);
      assert.match(result.reason, /ec2:TerminateInstances/);
    });

    test('a role without the create actions names both', async () => {
      const result = await verify('ClawCloudNoCreate');
      assert.ok(!result.ok);
      assert.deepEqual(result.missing, ['ec2:RunInstances', 'ec2:CreateSecurityGroup']);
    });

    test("another connection's ExternalId is refused with a reason about the trust policy", async () => {
      const result = await verifyAwsRole(
        { roleArn: `arn:aws:iam::${PLATFORM_ACCOUNT}:role/SameAccount`, externalId: generateExternalId() },
        { region: REGION, endpoint: moto.url, platformCredentials: platform, probeImageId: imageId },
      );
      assert.ok(!result.ok);
      assert.match(result.reason, /trust policy/);
    });

    test('a platform identity moto does not know is an error, not a verdict on the role', async () => {
      await assert.rejects(
        verifyAwsRole(
          { roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/ClawCloud`, externalId },
          { region: REGION, endpoint: moto.url, platformCredentials: DUMMY, probeImageId: imageId },
        ),
        (err: Error) => err.name === 'ProviderError' && /InvalidClientTokenId/.test(err.message),
      );
    });
  });
});
