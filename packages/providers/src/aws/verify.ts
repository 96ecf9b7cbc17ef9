// Verifies a customer's role: assume it with the ExternalId, then ask EC2 whether each call provisioning
// makes is allowed, with DryRun (EC2 API reference, "DryRun": DryRunOperation = you have the permission,
// UnauthorizedOperation = you do not). Nothing is created. A DryRun that fails for another reason (a
// placeholder id that does not exist, a tag condition AWS cannot evaluate without a real resource) says
// nothing about the permission: that action is reported as `unverified`, never as granted.
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { VerifyResult } from '../verify-result.ts';
import type { AwsDeps } from './client.ts';
import { assumeCustomerRole, awsError, parseRoleArn } from './client.ts';
import { isExternalId } from './external-id.ts';
import type { Ec2Action } from './permissions.ts';
import { MANAGED_BY_TAG } from './permissions.ts';

export type AwsVerifyInput = { roleArn: string; externalId: string };

export type AwsVerifyDeps = AwsDeps & {
  /** An AMI that exists in `region`, for the RunInstances dry run (AWS validates the image). */
  probeImageId?: string;
};

// Placeholders: well-formed ids that belong to nobody. Dry runs never act, even when allowed.
const NO_INSTANCE = 'i-00000000000000000';
const NO_GROUP = 'sg-00000000000000000';
const tagSpec = (ResourceType: 'instance' | 'volume' | 'security-group') => ({
  ResourceType,
  Tags: [{ Key: MANAGED_BY_TAG.key, Value: MANAGED_BY_TAG.value }],
});

/** One dry run per action in `ec2Actions`, shaped like the real call (tags included). */
export function dryRuns(probeImageId: string): Record<Ec2Action, (ec2: EC2Client) => Promise<unknown>> {
  const DryRun = true;
  return {
    'ec2:DescribeRegions': (ec2) => ec2.send(new DescribeRegionsCommand({ DryRun })),
    'ec2:DescribeInstanceTypes': (ec2) =>
      ec2.send(new DescribeInstanceTypesCommand({ DryRun, InstanceTypes: ['t3.micro'] })),
    'ec2:DescribeImages': (ec2) => ec2.send(new DescribeImagesCommand({ DryRun, ImageIds: [probeImageId] })),
    'ec2:DescribeVpcs': (ec2) => ec2.send(new DescribeVpcsCommand({ DryRun })),
    'ec2:DescribeSubnets': (ec2) => ec2.send(new DescribeSubnetsCommand({ DryRun })),
    'ec2:DescribeSecurityGroups': (ec2) => ec2.send(new DescribeSecurityGroupsCommand({ DryRun })),
    'ec2:DescribeInstances': (ec2) => ec2.send(new DescribeInstancesCommand({ DryRun })),
    'ec2:RunInstances': (ec2) =>
      ec2.send(
        new RunInstancesCommand({
          DryRun,
          ImageId: probeImageId,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [tagSpec('instance'), tagSpec('volume')],
        }),
      ),
    'ec2:CreateSecurityGroup': (ec2) =>
      ec2.send(
        new CreateSecurityGroupCommand({
          DryRun,
          GroupName: 'claw-cloud-dry-run',
          Description: 'Claw Cloud permission check (dry run)',
          TagSpecifications: [tagSpec('security-group')],
        }),
      ),
    'ec2:CreateTags': (ec2) =>
      ec2.send(
        new CreateTagsCommand({
          DryRun,
          Resources: [NO_INSTANCE],
          Tags: [{ Key: MANAGED_BY_TAG.key, Value: MANAGED_BY_TAG.value }],
        }),
      ),
    'ec2:AuthorizeSecurityGroupIngress': (ec2) =>
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          DryRun,
          GroupId: NO_GROUP,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '192.0.2.1/32' }] },
          ],
        }),
      ),
    'ec2:DeleteSecurityGroup': (ec2) =>
      ec2.send(new DeleteSecurityGroupCommand({ DryRun, GroupId: NO_GROUP })),
    'ec2:StartInstances': (ec2) =>
      ec2.send(new StartInstancesCommand({ DryRun, InstanceIds: [NO_INSTANCE] })),
    'ec2:StopInstances': (ec2) => ec2.send(new StopInstancesCommand({ DryRun, InstanceIds: [NO_INSTANCE] })),
    'ec2:RebootInstances': (ec2) =>
      ec2.send(new RebootInstancesCommand({ DryRun, InstanceIds: [NO_INSTANCE] })),
    'ec2:TerminateInstances': (ec2) =>
      ec2.send(new TerminateInstancesCommand({ DryRun, InstanceIds: [NO_INSTANCE] })),
  };
}

// AWS answers UnauthorizedOperation; moto in IAM mode answers AccessDenied for the same refusal.
const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);
// An ami id that exists nowhere: RunInstances then ends up unverified unless the caller passes a real one.
const NO_IMAGE = 'ami-00000000000000000';

export async function verifyAwsRole(input: AwsVerifyInput, deps: AwsVerifyDeps): Promise<VerifyResult> {
  const roleArn = input.roleArn.trim();
  if (!parseRoleArn(roleArn)) {
    return {
      ok: false,
      reason: 'That is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>).',
    };
  }
  if (!isExternalId(input.externalId)) {
    return { ok: false, reason: 'This connection has no valid ExternalId; start the AWS connection again.' };
  }

  let session;
  try {
    session = await assumeCustomerRole({ roleArn, externalId: input.externalId, purpose: 'verify' }, deps);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code && DENIED.has(code)) {
      return {
        ok: false,
        reason:
          `AWS did not let Claw Cloud assume ${roleArn}: the role's trust policy must name Claw Cloud's ` +
          "account and this connection's ExternalId (the CloudFormation template sets both), or the role does not exist.",
      };
    }
    throw err;
  }

  const missing: string[] = [];
  const unverified: string[] = [];
  const runs = dryRuns(deps.probeImageId ?? NO_IMAGE);
  for (const [action, run] of Object.entries(runs)) {
    try {
      await run(session.ec2);
      // Every action here supports DryRun; a plain success can only come from a read that ignored it.
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      if (name === 'DryRunOperation') continue;
      if (DENIED.has(name)) missing.push(action);
      else if (/^Invalid|NotFound|Malformed/.test(name)) unverified.push(action);
      else throw awsError(action, err);
    }
  }

  if (missing.length > 0) {
    return {
      ok: false,
      reason:
        `The role is missing ${missing.length === 1 ? 'a permission' : 'permissions'} Claw Cloud needs: ` +
        `${missing.join(', ')}. Update the role with the policy shown on this page (or re-run the template).`,
      missing,
    };
  }
  return { ok: true, account: { id: session.accountId, name: roleArn.split('/').at(-1) }, unverified };
}
