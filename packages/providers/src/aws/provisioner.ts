// AWS provisioning with the customer's role, assumed per call with this connection's ExternalId (15-minute
// sessions named after the instance, so the customer's CloudTrail shows which instance we came for). Only
// the actions in `ec2Actions` are called; everything we create carries ManagedBy=claw-cloud and the
// instance id from creation on (TagSpecifications), which is what the role's policy requires.
// API reference: Amazon EC2 API Reference (RunInstances, DescribeInstances, security groups).
import type { _InstanceType, Instance, SecurityGroup, Tag } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type {
  InstanceScope,
  OurResources,
  Provisioner,
  SourceRanges,
  Vm,
  VmRef,
  VmStatus,
} from '../provisioning.ts';
import {
  AGENT_PORT,
  checkInstanceId,
  checkVmSpec,
  goneVm,
  instanceTag,
  notOurs,
  parseInstanceId,
  vmNotFound,
} from '../provisioning.ts';
import type { AwsDeps, CustomerSession } from './client.ts';
import { assumeCustomerRole, awsError } from './client.ts';
import type { Ec2Action } from './permissions.ts';
import { MANAGED_BY_TAG } from './permissions.ts';
import { awsSizes, PRICED_REGIONS } from './prices.ts';

export type AwsProvisionerInput = { roleArn: string; externalId: string };
export type AwsProvisionerDeps = AwsDeps & { now?: () => number };

/** The tag carrying Claw Cloud's instance id on the instance, its volume and its security group. */
export const INSTANCE_ID_TAG = 'ClawInstanceId';

// RunInstances: user data is limited to 16 KB before base64 encoding.
const MAX_USER_DATA = 16 * 1024;
// Renew a cached session this long before STS says it expires.
const SESSION_MARGIN_MS = 60_000;
// Instances in these states are "ours and alive"; shutting-down/terminated ones are gone.
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
// listOurs reads at most this many pages per region and kind: one sweep's work stays bounded.
const MAX_PAGES = 10;
const OUR_MARKER = [{ Name: `tag:${MANAGED_BY_TAG.key}`, Values: [MANAGED_BY_TAG.value] }];

const STATUS: Record<string, VmStatus> = {
  pending: 'creating',
  running: 'running',
  stopping: 'transitioning',
  stopped: 'off',
  'shutting-down': 'gone',
  terminated: 'gone',
};

const tagsOf = (instanceId: string): Tag[] => [
  { Key: MANAGED_BY_TAG.key, Value: MANAGED_BY_TAG.value },
  { Key: INSTANCE_ID_TAG, Value: instanceId },
];
const filtersOf = (instanceId: string) =>
  tagsOf(instanceId).map((t) => ({ Name: `tag:${t.Key}`, Values: [t.Value ?? ''] }));
const isOurs = (instanceId: string, tags: Tag[] | undefined): boolean =>
  tagsOf(instanceId).every((want) => tags?.some((t) => t.Key === want.Key && t.Value === want.Value));
/** The well-formed instance id of a resource carrying our marker, else undefined. */
function ourInstanceId(tags: Tag[] | undefined): string | undefined {
  const instanceId = parseInstanceId(tags?.find((t) => t.Key === INSTANCE_ID_TAG)?.Value);
  return instanceId && isOurs(instanceId, tags) ? instanceId : undefined;
}

function toVm(instanceId: string, region: string, i: Instance): Vm {
  return {
    instanceId,
    providerId: i.InstanceId ?? '',
    region,
    size: i.InstanceType ?? '',
    status: STATUS[i.State?.Name ?? ''] ?? 'transitioning',
    publicIpv4: i.PublicIpAddress,
    publicIpv6: i.Ipv6Address,
    firewallId: i.SecurityGroups?.[0]?.GroupId,
    createdAt: i.LaunchTime,
  };
}

/** Runs one EC2 call; every failure becomes a ProviderError named after the IAM action. */
async function ec2<T>(action: Ec2Action, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw awsError(action, err);
  }
}

const errorName = (err: unknown): string | undefined => (err as { name?: string }).name;

export function createAwsProvisioner(input: AwsProvisionerInput, deps: AwsProvisionerDeps): Provisioner {
  const now = deps.now ?? Date.now;
  const sessions = new Map<string, Promise<CustomerSession>>();

  /** One assumed-role session per region and instance, reused until shortly before it expires. */
  async function session(region: string, instanceId?: string): Promise<CustomerSession> {
    if (instanceId !== undefined) checkInstanceId(instanceId);
    const key = `${region} ${instanceId ?? ''}`;
    const cached = await sessions.get(key)?.catch(() => undefined);
    const expires = cached?.credentials.expiration?.getTime() ?? 0;
    if (cached && expires - SESSION_MARGIN_MS > now()) return cached;
    const fresh = assumeCustomerRole({ ...input, purpose: 'provision', instanceId }, { ...deps, region });
    sessions.set(key, fresh);
    return fresh;
  }

  /** The instance if it exists and is ours; undefined when AWS does not know it. */
  async function describe(ref: VmRef, operation: string): Promise<Instance | undefined> {
    const s = await session(ref.region, ref.instanceId);
    let out;
    try {
      out = await s.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ref.providerId] }));
    } catch (err) {
      if (errorName(err) === 'InvalidInstanceID.NotFound') return undefined;
      throw awsError('ec2:DescribeInstances', err);
    }
    const instance = out.Reservations?.[0]?.Instances?.[0];
    if (instance && !isOurs(ref.instanceId, instance.Tags)) throw notOurs('aws', operation, ref.providerId);
    return instance;
  }

  async function ourSecurityGroups(s: CustomerSession, instanceId: string): Promise<SecurityGroup[]> {
    const out = await ec2('ec2:DescribeSecurityGroups', () =>
      s.ec2.send(new DescribeSecurityGroupsCommand({ Filters: filtersOf(instanceId) })),
    );
    return (out.SecurityGroups ?? []).filter((g) => isOurs(instanceId, g.Tags));
  }

  /** The instance's security group: AGENT_PORT from the control plane only; egress stays AWS's default. */
  async function ensureSecurityGroup(
    s: CustomerSession,
    instanceId: string,
    ranges: SourceRanges,
  ): Promise<string> {
    const [existing] = await ourSecurityGroups(s, instanceId);
    const groupId =
      existing?.GroupId ??
      (
        await ec2('ec2:CreateSecurityGroup', () =>
          s.ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: instanceTag(instanceId),
              Description: `Claw Cloud instance ${instanceId}: agent port from the control plane only`,
              TagSpecifications: [{ ResourceType: 'security-group', Tags: tagsOf(instanceId) }],
            }),
          ),
        )
      ).GroupId;
    if (!groupId) throw awsError('ec2:CreateSecurityGroup', new Error('CreateSecurityGroup returned no id'));
    if (!existing?.IpPermissions?.some((p) => p.FromPort === AGENT_PORT)) {
      const Description = 'Claw Cloud control plane';
      await ec2('ec2:AuthorizeSecurityGroupIngress', () =>
        s.ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: groupId,
            IpPermissions: [
              {
                IpProtocol: 'tcp',
                FromPort: AGENT_PORT,
                ToPort: AGENT_PORT,
                IpRanges: ranges.ipv4.map((CidrIp) => ({ CidrIp, Description })),
                Ipv6Ranges: ranges.ipv6.map((CidrIpv6) => ({ CidrIpv6, Description })),
              },
            ],
          }),
        ),
      );
    }
    return groupId;
  }

  async function findByInstance({ instanceId, region }: Pick<VmRef, 'instanceId' | 'region'>): Promise<Vm[]> {
    const s = await session(region, instanceId);
    const out = await ec2('ec2:DescribeInstances', () =>
      s.ec2.send(
        new DescribeInstancesCommand({
          Filters: [...filtersOf(instanceId), { Name: 'instance-state-name', Values: LIVE_STATES }],
        }),
      ),
    );
    return (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => isOurs(instanceId, i.Tags))
      .map((i) => toVm(instanceId, region, i));
  }

  /** One region's share of listOurs: live instances by our tag, and our groups no live instance names. */
  async function listRegion(region: string): Promise<OurResources> {
    const s = await session(region);
    const vms: Vm[] = [];
    let NextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await ec2('ec2:DescribeInstances', () =>
        s.ec2.send(
          new DescribeInstancesCommand({
            Filters: [...OUR_MARKER, { Name: 'instance-state-name', Values: LIVE_STATES }],
            NextToken,
          }),
        ),
      );
      for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const instanceId = ourInstanceId(i.Tags);
        if (instanceId) vms.push(toVm(instanceId, region, i));
      }
      NextToken = out.NextToken;
      if (!NextToken) break;
    }
    const withVm = new Set(vms.map((v) => v.instanceId));
    const groups = await ec2('ec2:DescribeSecurityGroups', () =>
      s.ec2.send(new DescribeSecurityGroupsCommand({ Filters: OUR_MARKER })),
    );
    const stray = new Set(
      (groups.SecurityGroups ?? [])
        .map((g) => ourInstanceId(g.Tags))
        .filter((id): id is string => id !== undefined && !withVm.has(id)),
    );
    return { vms, firewallsWithoutVm: [...stray].map((instanceId) => ({ instanceId, region })) };
  }

  async function destroyFirewalls({ instanceId, region }: InstanceScope) {
    const s = await session(region, instanceId);
    // A security group cannot be deleted while an instance still uses it (DependencyViolation), which
    // lasts until termination has finished: not done yet, the caller comes back later.
    let done = true;
    for (const group of await ourSecurityGroups(s, instanceId)) {
      try {
        await s.ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId }));
      } catch (err) {
        if (errorName(err) === 'DependencyViolation') done = false;
        else if (errorName(err) !== 'InvalidGroup.NotFound') throw awsError('ec2:DeleteSecurityGroup', err);
      }
    }
    return { done };
  }

  const powerCalls = {
    'ec2:StartInstances': (s: CustomerSession, InstanceIds: string[]) =>
      s.ec2.send(new StartInstancesCommand({ InstanceIds })),
    'ec2:StopInstances': (s: CustomerSession, InstanceIds: string[]) =>
      s.ec2.send(new StopInstancesCommand({ InstanceIds })),
    'ec2:RebootInstances': (s: CustomerSession, InstanceIds: string[]) =>
      s.ec2.send(new RebootInstancesCommand({ InstanceIds })),
  };

  async function power(ref: VmRef, action: keyof typeof powerCalls): Promise<void> {
    const instance = await describe(ref, action);
    if (!instance || STATUS[instance.State?.Name ?? ''] === 'gone') {
      throw vmNotFound('aws', action, ref.providerId);
    }
    const s = await session(ref.region, ref.instanceId);
    await ec2(action, () => powerCalls[action](s, [ref.providerId]));
  }

  return {
    provider: 'aws',

    async create(spec) {
      const ranges = checkVmSpec(spec, MAX_USER_DATA);
      const [existing] = await findByInstance(spec);
      if (existing) return existing;
      const s = await session(spec.region, spec.instanceId);
      const groupId = await ensureSecurityGroup(s, spec.instanceId, ranges);
      const out = await ec2('ec2:RunInstances', () =>
        s.ec2.send(
          new RunInstancesCommand({
            ImageId: spec.image,
            InstanceType: spec.size as _InstanceType,
            MinCount: 1,
            MaxCount: 1,
            UserData: Buffer.from(spec.userData).toString('base64'),
            SecurityGroupIds: [groupId],
            // EC2 "Ensuring idempotency": a retried RunInstances with the same token returns the first
            // call's instance instead of launching a second one (moto does not emulate this, notes §1).
            ClientToken: spec.instanceId,
            TagSpecifications: [
              {
                ResourceType: 'instance',
                Tags: [...tagsOf(spec.instanceId), { Key: 'Name', Value: spec.name }],
              },
              { ResourceType: 'volume', Tags: tagsOf(spec.instanceId) },
            ],
          }),
        ),
      );
      const instance = out.Instances?.[0];
      if (!instance) throw awsError('ec2:RunInstances', new Error('RunInstances returned no instance'));
      return toVm(spec.instanceId, spec.region, instance);
    },

    async get(ref) {
      const instance = await describe(ref, 'ec2:DescribeInstances');
      return instance ? toVm(ref.instanceId, ref.region, instance) : goneVm(ref);
    },

    findByInstance,

    async listOurs(regions) {
      const perRegion = await Promise.all([...new Set(regions)].map(listRegion));
      return {
        vms: perRegion.flatMap((r) => r.vms),
        firewallsWithoutVm: perRegion.flatMap((r) => r.firewallsWithoutVm),
      };
    },

    destroyFirewalls,
    powerOn: (ref) => power(ref, 'ec2:StartInstances'),
    powerOff: (ref) => power(ref, 'ec2:StopInstances'),
    reboot: (ref) => power(ref, 'ec2:RebootInstances'),

    async destroy(ref) {
      const instance = await describe(ref, 'ec2:TerminateInstances');
      const s = await session(ref.region, ref.instanceId);
      if (instance && instance.State?.Name !== 'terminated') {
        await ec2('ec2:TerminateInstances', () =>
          s.ec2.send(new TerminateInstancesCommand({ InstanceIds: [ref.providerId] })),
        );
      }
      return destroyFirewalls(ref);
    },

    async listRegions() {
      const s = await session(deps.region);
      const out = await ec2('ec2:DescribeRegions', () => s.ec2.send(new DescribeRegionsCommand({})));
      return (out.Regions ?? []).map((r) => ({
        slug: r.RegionName ?? '',
        name: r.RegionName ?? '',
        // Offered where our price table has prices (prices.ts).
        available: PRICED_REGIONS.has(r.RegionName ?? ''),
      }));
    },

    listSizes: async () => awsSizes(),
  };
}
