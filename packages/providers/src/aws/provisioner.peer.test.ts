// The provisioner contract against moto in default mode (shared/notes/cloud-test-peers.md §1): STS
// AssumeRole and stateful EC2. moto does not check the ExternalId across accounts, tag conditions or
// ClientToken idempotency, and cannot inject faults; ExternalId and session naming are unit-tested in
// provisioner.test.ts, the policy's scoping in permissions.test.ts.
import type { Instance } from '@aws-sdk/client-ec2';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { RecordingMotoPeer } from '../../../testing/src/cloud-peers/index.ts';
import {
  locateMoto,
  skipUnlessAvailable,
  startRecordingMoto,
} from '../../../testing/src/cloud-peers/index.ts';
import { provisionerContract } from '../provisioner.contract.ts';
import { generateExternalId } from './external-id.ts';
import { ec2Actions } from './permissions.ts';
import { createAwsProvisioner, INSTANCE_ID_TAG } from './provisioner.ts';

const REGION = 'eu-central-1';
const CUSTOMER_ACCOUNT = '111122223333';
const DUMMY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'dummy' };
const ROLE = { roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/ClawCloud`, externalId: generateExternalId() };

/** An EC2 client acting directly in the customer's account (moto picks the account by this header). */
function customerEc2(moto: RecordingMotoPeer): EC2Client {
  const ec2 = new EC2Client({ endpoint: moto.url, region: REGION, credentials: DUMMY, maxAttempts: 1 });
  ec2.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = CUSTOMER_ACCOUNT;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return ec2;
}

const ALLOWED_ACTIONS = new Set(['AssumeRole', ...ec2Actions.map((a) => a.action.replace('ec2:', ''))]);
// EC2 deletes that name their resource by id; anything else (a Filter, no id) would act on a selection.
const DELETE_ID_PARAM: Record<string, RegExp> = {
  TerminateInstances: /^InstanceId\.\d+$/,
  DeleteSecurityGroup: /^GroupId$/,
};

provisionerContract('AWS (moto)', {
  faults: false,
  skip: skipUnlessAvailable(locateMoto()),
  async start() {
    const moto = await startRecordingMoto();
    const ec2 = customerEc2(moto);
    const images = await ec2.send(new DescribeImagesCommand({}));
    const imageId = images.Images?.[0]?.ImageId ?? '';
    const instancesOf = async (instanceId: string): Promise<Instance[]> => {
      const out = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${INSTANCE_ID_TAG}`, Values: [instanceId] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
        }),
      );
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    };
    const provisioner = createAwsProvisioner(ROLE, {
      region: REGION,
      endpoint: moto.url,
      platformCredentials: DUMMY,
    });
    return {
      provisioner,
      spec: (instanceId) => ({
        instanceId,
        name: `claw-${instanceId.slice(0, 8)}`,
        region: REGION,
        size: 't3.small',
        image: imageId,
        userData: '#cloud-config\n{}\n',
        allowedSources: [],
      }),
      async inboundRules(vm) {
        const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [vm.providerId] }));
        const groupIds = (out.Reservations?.[0]?.Instances?.[0]?.SecurityGroups ?? []).map(
          (g) => g.GroupId ?? '',
        );
        const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds }));
        return (groups.SecurityGroups ?? []).flatMap((g) =>
          (g.IpPermissions ?? []).map((perm) => ({
            protocol: perm.IpProtocol ?? '',
            ports: perm.FromPort === perm.ToPort ? String(perm.FromPort) : `${perm.FromPort}-${perm.ToPort}`,
            sources: [
              ...(perm.IpRanges ?? []).map((r) => r.CidrIp ?? ''),
              ...(perm.Ipv6Ranges ?? []).map((r) => r.CidrIpv6 ?? ''),
            ],
          })),
        );
      },
      async leftovers(instanceId) {
        const groups = await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [{ Name: `tag:${INSTANCE_ID_TAG}`, Values: [instanceId] }],
          }),
        );
        return [
          ...(await instancesOf(instanceId)).map((i) => `instance ${i.InstanceId}`),
          ...(groups.SecurityGroups ?? []).map((g) => `security group ${g.GroupId}`),
        ];
      },
      // Also proves that every action we sent is in the permission table the customer's role grants.
      async deletesBySelector() {
        const sent = await moto.recordedRequests();
        if (!sent.some((r) => r.action === 'TerminateInstances')) throw new Error('the recording is empty');
        const outside = [...new Set(sent.map((r) => r.action))].filter((a) => !ALLOWED_ACTIONS.has(a));
        if (outside.length > 0) throw new Error(`actions outside ec2Actions: ${outside.join(', ')}`);
        return sent
          .filter((r) => DELETE_ID_PARAM[r.action] || /^(Delete|Terminate)/.test(r.action))
          .filter((r) => {
            const keys = Object.keys(r.params);
            const byId = DELETE_ID_PARAM[r.action];
            return !byId || keys.some((k) => k.startsWith('Filter')) || !keys.some((k) => byId.test(k));
          })
          .map((r) => `${r.action} ${JSON.stringify(r.params)}`);
      },
      async createForeignVm() {
        const out = await ec2.send(
          new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.small', MinCount: 1, MaxCount: 1 }),
        );
        return {
          instanceId: crypto.randomUUID(),
          providerId: out.Instances?.[0]?.InstanceId ?? '',
          region: REGION,
        };
      },
      async createMalformedVm() {
        const out = await ec2.send(
          new RunInstancesCommand({
            ImageId: imageId,
            InstanceType: 't3.small',
            MinCount: 1,
            MaxCount: 1,
            TagSpecifications: [
              {
                ResourceType: 'instance',
                Tags: [
                  { Key: 'ManagedBy', Value: 'claw-cloud' },
                  { Key: INSTANCE_ID_TAG, Value: 'not-a-uuid' },
                ],
              },
            ],
          }),
        );
        return {
          instanceId: crypto.randomUUID(),
          providerId: out.Instances?.[0]?.InstanceId ?? '',
          region: REGION,
        };
      },
      unreachable: () =>
        createAwsProvisioner(ROLE, {
          region: REGION,
          endpoint: 'http://127.0.0.1:9',
          platformCredentials: DUMMY,
        }),
      stop: () => moto.stop(),
    };
  },
});
