// One provider's emulator, ready for the provisioning workflow: what the control plane is configured with,
// the connection a user adds, and what a test needs to see and do inside the "cloud" (the VMs carrying an
// instance's tag and their user-data, faults on create, the creates and deletes we sent, resources planted
// as a crash, another control plane or the user would leave them). The same workflow, crash, reconciler
// tests and dashboard journeys run against each: DigitalOcean and Hetzner on our stateful fakes behind
// `prism proxy --errors`, AWS on moto (with a fault proxy in front, moto has none). Every VM's public
// address is 127.0.0.1, where the test's agent listens: the control plane never connects anywhere else.
// Every VM looks hours old to the reconciler (the fakes' fixed creation time, moto's backdated launches).
import type { Instance } from '@aws-sdk/client-ec2';
import type { Tag } from '@aws-sdk/client-ec2';
import {
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Availability } from './availability.ts';
import { locateMoto, locatePrism, locateSpec } from './availability.ts';
import type { AwsFaultProxy } from './aws-fault-proxy.ts';
import { startAwsFaultProxy } from './aws-fault-proxy.ts';
import type { DigitalOceanFake } from './digitalocean-fake.ts';
import { startDigitalOceanFake } from './digitalocean-fake.ts';
import type { Fault, FaultTarget, LoggedRequest } from './fake-server.ts';
import { deletesBySelector } from './fake-server.ts';
import type { HetznerFake } from './hetzner-fake.ts';
import { startHetznerFake } from './hetzner-fake.ts';
import type { RecordedAwsRequest, RecordingMotoPeer } from './moto-recorder.ts';
import { awsDeletesBySelector, startRecordingMoto } from './moto-recorder.ts';
import type { SpecCheckedFake } from './spec-checked-fake.ts';

export type EmulatedProvider = 'digitalocean' | 'hetzner' | 'aws';
export const emulatedProviders: readonly EmulatedProvider[] = ['digitalocean', 'hetzner', 'aws'];

export type EmulatedVm = { id: string; userData: string };

/** A live VM anywhere in the emulated account; `instanceId` when it carries our marker and an instance's tag. */
export type AccountVm = { id: string; instanceId?: string };

export type EmulatedCloud = {
  provider: EmulatedProvider;
  /** How the dashboard names the provider. */
  name: string;
  /** Control-plane settings that point it at this emulator. */
  env: Record<string, string>;
  /** The body of `POST /api/credentials` connecting this emulated account. */
  connection(label: string): Record<string, string>;
  region: string;
  size: string;
  /** VMs alive in the emulated account carrying this instance's tag, with the user-data they boot. */
  vmsOf(instanceId: string): Promise<EmulatedVm[]>;
  /** Every VM alive in the emulated account, ours or not. */
  allVms(): Promise<AccountVm[]>;
  /**
   * Plants a running VM carrying our marker and this instance's tag/label, made outside our code (what a
   * lost answer, a crash or another control plane leaves); returns its id.
   */
  plantVm(instanceId: string): Promise<string>;
  /** Plants the user's own VM: without any mark of ours, or with our generic marker but no instance. */
  plantForeignVm(marks: 'none' | 'marker-only'): Promise<string>;
  /** Plants a firewall of ours for this instance, exactly as create makes it, with no VM; returns its id. */
  plantFirewall(instanceId: string): Promise<string>;
  /** The firewalls (AWS: security groups) of ours for this instance still in the account. */
  firewallsOf(instanceId: string): Promise<string[]>;
  /** A fault on the create call: throttled (429; EC2: 503 RequestLimitExceeded), a 5xx, or the answer lost. */
  injectCreate(fault: Fault): void;
  /** When each create call reached the cloud (ms since the epoch), failed ones included; never a planted one. */
  createArrivals(): number[];
  /** Whether this provider's throttling answer carries Retry-After (EC2's does not). */
  sendsRetryAfter: boolean;
  /** The VM ids our deletes named, in order (a VM-level delete that names one VM by id). */
  vmDeletes(): Promise<string[]>;
  /** Deletes that named no single resource: must stay empty. */
  deletesBySelector(): Promise<string[]>;
  /** AWS only: every Query API request moto served (AssumeRole, RunInstances, ...), planted ones included. */
  awsRequests?: () => Promise<RecordedAwsRequest[]>;
  /** AWS only: the ClientToken of each RunInstances our code sent (DryRuns aside), lost answers included. */
  createClientTokens?: () => string[];
  stop(): Promise<void>;
};

const LOOPBACK = '127.0.0.1';

/** What must be installed for this provider's emulator (see `skipUnlessAvailable`). */
/** The https origin a deploying control plane calls itself in tests (new servers call back to it). */
export const TEST_PUBLIC_URL = 'https://claw.test';

/**
 * A control plane's settings for deploying on this emulator in a test: the emulator's endpoint, a public
 * origin, a (never installed) agent package pin, a documentation-range egress address, and the agent the
 * "new server" is played by, on loopback (`agentPort`), polled quickly.
 */
export function provisioningEnv(cloud: EmulatedCloud, agentPort?: string): Record<string, string> {
  return {
    ...cloud.env,
    CLAW_PUBLIC_URL: TEST_PUBLIC_URL,
    CLAW_AGENT_PACKAGE: '@claw-cloud/agent@0.1.0',
    CLAW_AGENT_PACKAGE_INTEGRITY: `sha512-${'A'.repeat(86)}==`,
    CLAW_EGRESS_ADDRESSES: '198.51.100.7',
    CLAW_AGENT_ALLOW_PRIVATE_NETWORKS: 'true',
    ...(agentPort ? { CLAW_PROVISIONED_AGENT_PORT: agentPort } : {}),
    CLAW_PROVISION_POLL_MS: '100',
  };
}

export function emulatorAvailability(provider: EmulatedProvider): Availability[] {
  if (provider === 'aws') return [locateMoto()];
  return [locateSpec(provider), locatePrism()];
}

export async function startEmulatedCloud(provider: EmulatedProvider): Promise<EmulatedCloud> {
  if (provider === 'aws') return startEmulatedAws();
  const spec = locateSpec(provider);
  if (!spec.ok) throw new Error(spec.reason);
  return provider === 'digitalocean' ? startEmulatedDigitalOcean(spec.path) : startEmulatedHetzner(spec.path);
}

// Our marks, as packages/providers writes them (tags on DigitalOcean and AWS, labels on Hetzner).
const DO_MARKER = 'claw-cloud';
const DO_INSTANCE_TAG = 'claw-instance-';
const HETZNER_MARKER = { 'managed-by': 'claw-cloud' };
const HETZNER_INSTANCE_LABEL = 'claw-instance';
const AWS_MARKER: Tag = { Key: 'ManagedBy', Value: 'claw-cloud' };
const AWS_INSTANCE_TAG = 'ClawInstanceId';
const instanceTag = (instanceId: string) => `${DO_INSTANCE_TAG}${instanceId}`;

/** The fakes' shared part: faults and the request log come from the spec-checked fake. */
function fromFake(fake: SpecCheckedFake, routes: { create: FaultTarget; deleteVm: FaultTarget }) {
  const requests = (route: string) => fake.requests().filter((r: LoggedRequest) => r.route === route);
  return {
    injectCreate: (fault: Fault) => fake.inject(routes.create, fault),
    createArrivals: () => requests(routes.create).map((r) => r.at),
    sendsRetryAfter: true,
    vmDeletes: async () => requests(routes.deleteVm).map((r) => r.path.split('/').pop() ?? ''),
    deletesBySelector: async () => deletesBySelector(fake.requests()),
    stop: () => fake.stop(),
  };
}

async function startEmulatedDigitalOcean(spec: string): Promise<EmulatedCloud> {
  const fake: DigitalOceanFake = await startDigitalOceanFake({ spec, publicIpv4: LOOPBACK });
  const instanceOf = (tags: string[]) =>
    tags.includes(DO_MARKER)
      ? tags.find((t) => t.startsWith(DO_INSTANCE_TAG))?.slice(DO_INSTANCE_TAG.length)
      : undefined;
  return {
    provider: 'digitalocean',
    name: 'DigitalOcean',
    env: { CLAW_DIGITALOCEAN_API_URL: fake.url },
    connection: (label) => ({
      provider: 'digitalocean',
      label,
      token: `dop_v1_${crypto.randomUUID().replaceAll('-', '')}`,
    }),
    region: 'fra1',
    size: 's-1vcpu-1gb',
    vmsOf: async (instanceId) =>
      [...fake.droplets.values()]
        .filter((d) => d.tags.includes(instanceTag(instanceId)))
        .map((d) => ({ id: String(d.id), userData: d.userData ?? '' })),
    allVms: async () =>
      [...fake.droplets.values()].map((d) => ({ id: String(d.id), instanceId: instanceOf(d.tags) })),
    plantVm: async (instanceId) =>
      String(fake.addDroplet({ name: 'planted', tags: [DO_MARKER, instanceTag(instanceId)] })),
    plantForeignVm: async (marks) =>
      String(fake.addDroplet({ name: 'users-own', tags: marks === 'none' ? ['web'] : [DO_MARKER] })),
    // Named after the instance tag and applied to it alone: how create makes it and how ours are told apart.
    plantFirewall: async (instanceId) =>
      fake.addFirewall({ name: instanceTag(instanceId), tags: [instanceTag(instanceId)] }),
    firewallsOf: async (instanceId) =>
      [...fake.firewalls.values()].filter((f) => f.tags.includes(instanceTag(instanceId))).map((f) => f.id),
    ...fromFake(fake, { create: 'POST /v2/droplets', deleteVm: 'DELETE /v2/droplets/{droplet_id}' }),
  };
}

async function startEmulatedHetzner(spec: string): Promise<EmulatedCloud> {
  const fake: HetznerFake = await startHetznerFake({ spec, publicIpv4: LOOPBACK });
  const labelsOf = (instanceId: string) => ({ ...HETZNER_MARKER, [HETZNER_INSTANCE_LABEL]: instanceId });
  const instanceOf = (labels: Record<string, string>) =>
    Object.entries(HETZNER_MARKER).every(([k, v]) => labels[k] === v)
      ? labels[HETZNER_INSTANCE_LABEL]
      : undefined;
  return {
    provider: 'hetzner',
    name: 'Hetzner Cloud',
    env: { CLAW_HETZNER_API_URL: fake.url },
    connection: (label) => ({
      provider: 'hetzner',
      label,
      token: `hz${crypto.randomUUID().replaceAll('-', '')}`,
    }),
    region: 'fsn1',
    size: 'cx22',
    vmsOf: async (instanceId) =>
      [...fake.servers.values()]
        .filter((s) => s.labels[HETZNER_INSTANCE_LABEL] === instanceId)
        .map((s) => ({ id: String(s.id), userData: s.userData ?? '' })),
    allVms: async () =>
      [...fake.servers.values()].map((s) => ({ id: String(s.id), instanceId: instanceOf(s.labels) })),
    // Server names are unique per project, so each planted one gets its own.
    plantVm: async (instanceId) =>
      String(fake.addServer({ name: `planted-${crypto.randomUUID()}`, labels: labelsOf(instanceId) })),
    plantForeignVm: async (marks) =>
      String(
        fake.addServer({
          name: `users-own-${crypto.randomUUID()}`,
          labels: marks === 'none' ? { role: 'web' } : HETZNER_MARKER,
        }),
      ),
    plantFirewall: async (instanceId) =>
      String(fake.addFirewall({ name: instanceTag(instanceId), labels: labelsOf(instanceId) })),
    firewallsOf: async (instanceId) =>
      [...fake.firewalls.values()]
        .filter((f) => f.labels[HETZNER_INSTANCE_LABEL] === instanceId)
        .map((f) => String(f.id)),
    ...fromFake(fake, { create: 'POST /servers', deleteVm: 'DELETE /servers/{id}' }),
  };
}

const AWS_REGION = 'eu-central-1';
const CUSTOMER_ACCOUNT = '111122223333';
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
// Older than the reconciler's grace period (the create step's 10-minute deadline), as the fakes' VMs are.
const VM_AGE_MS = 60 * 60_000;
// The control plane's own identity, which assumes the customer's role, comes from the SDK's default chain
// (the environment); moto accepts any key in its default mode. Also in `env`, for a control plane that
// runs as a child process with only the environment it is given.
const PLATFORM_IDENTITY = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'platform-dummy',
};

async function startEmulatedAws(): Promise<EmulatedCloud> {
  const moto: RecordingMotoPeer = await startRecordingMoto({ publicIpv4: LOOPBACK, launchAgeMs: VM_AGE_MS });
  let proxy: AwsFaultProxy;
  try {
    proxy = await startAwsFaultProxy(moto.url);
  } catch (err) {
    await moto.stop();
    throw err;
  }
  process.env.AWS_ACCESS_KEY_ID ??= PLATFORM_IDENTITY.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY ??= PLATFORM_IDENTITY.AWS_SECRET_ACCESS_KEY;
  // Looks straight into the customer's account (moto picks it by this header), past the fault proxy: what
  // a test plants here is never one of our requests at the proxy.
  const ec2 = new EC2Client({
    endpoint: moto.url,
    region: AWS_REGION,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'dummy' },
    maxAttempts: 1,
  });
  ec2.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = CUSTOMER_ACCOUNT;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId ?? '';
  const size = 't3.small';

  const userDataOf = async (i: Instance): Promise<string> => {
    const out = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute: 'userData' }),
    );
    return Buffer.from(out.UserData?.Value ?? '', 'base64').toString('utf8');
  };
  const liveInstances = async (filters: Array<{ Name: string; Values: string[] }> = []) => {
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [...filters, { Name: 'instance-state-name', Values: LIVE_STATES }],
      }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  };
  const ours = (instanceId: string): Tag[] => [AWS_MARKER, { Key: AWS_INSTANCE_TAG, Value: instanceId }];
  const instanceOf = (tags: Tag[] = []) =>
    tags.some((t) => t.Key === AWS_MARKER.Key && t.Value === AWS_MARKER.Value)
      ? tags.find((t) => t.Key === AWS_INSTANCE_TAG)?.Value
      : undefined;
  const plant = async (tags: Tag[]): Promise<string> => {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: size,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    );
    return out.Instances?.[0]?.InstanceId ?? '';
  };

  return {
    provider: 'aws',
    name: 'AWS',
    env: {
      ...PLATFORM_IDENTITY,
      CLAW_AWS_PRINCIPAL_ARN: 'arn:aws:iam::123456789012:role/claw-cloud-platform',
      CLAW_AWS_ENDPOINT: proxy.url,
      CLAW_AWS_REGION: AWS_REGION,
      CLAW_AWS_IMAGE_ID: imageId,
    },
    connection: (label) => ({
      provider: 'aws',
      label,
      roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/ClawCloudProvisioning`,
    }),
    region: AWS_REGION,
    size,
    async vmsOf(instanceId) {
      const found = await liveInstances([{ Name: `tag:${AWS_INSTANCE_TAG}`, Values: [instanceId] }]);
      return Promise.all(found.map(async (i) => ({ id: i.InstanceId ?? '', userData: await userDataOf(i) })));
    },
    allVms: async () =>
      (await liveInstances()).map((i) => ({ id: i.InstanceId ?? '', instanceId: instanceOf(i.Tags) })),
    plantVm: (instanceId) => plant(ours(instanceId)),
    plantForeignVm: (marks) => plant(marks === 'none' ? [{ Key: 'Name', Value: 'users-own' }] : [AWS_MARKER]),
    async plantFirewall(instanceId) {
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: instanceTag(instanceId),
          Description: 'planted',
          TagSpecifications: [{ ResourceType: 'security-group', Tags: ours(instanceId) }],
        }),
      );
      return out.GroupId ?? '';
    },
    async firewallsOf(instanceId) {
      const out = await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: `tag:${AWS_INSTANCE_TAG}`, Values: [instanceId] }],
        }),
      );
      return (out.SecurityGroups ?? []).map((g) => g.GroupId ?? '');
    },
    injectCreate: (fault) => proxy.inject('RunInstances', fault),
    createArrivals: () => proxy.arrivals('RunInstances'),
    sendsRetryAfter: false,
    vmDeletes: async () =>
      proxy.sent('TerminateInstances').flatMap((params) =>
        Object.entries(params)
          .filter(([key]) => /^InstanceId\.\d+$/.test(key))
          .map(([, id]) => id),
      ),
    deletesBySelector: async () => awsDeletesBySelector(await moto.recordedRequests()),
    awsRequests: () => moto.recordedRequests(),
    createClientTokens: () => proxy.sent('RunInstances').map((params) => params.ClientToken ?? ''),
    async stop() {
      await proxy.stop();
      await moto.stop();
    },
  };
}
