// One provider's emulator, ready for the provisioning workflow: what the control plane is configured with,
// the connection a user adds, and what a test needs to see inside the "cloud" (the VMs carrying an
// instance's tag and their user-data, faults on create, deletes by selector). The same workflow tests
// and dashboard journeys run against each: DigitalOcean and Hetzner on our stateful fakes behind `prism
// proxy --errors`, AWS on moto (with a fault proxy in front, moto has none). Every VM's public address is
// 127.0.0.1, where the test's agent listens: the control plane never connects anywhere else.
import type { Instance } from '@aws-sdk/client-ec2';
import {
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { Availability } from './availability.ts';
import { locateMoto, locatePrism, locateSpec } from './availability.ts';
import type { AwsFaultProxy } from './aws-fault-proxy.ts';
import { startAwsFaultProxy } from './aws-fault-proxy.ts';
import { startDigitalOceanFake } from './digitalocean-fake.ts';
import type { Fault, LoggedRequest } from './fake-server.ts';
import { deletesBySelector } from './fake-server.ts';
import { startHetznerFake } from './hetzner-fake.ts';
import type { RecordedAwsRequest, RecordingMotoPeer } from './moto-recorder.ts';
import { awsDeletesBySelector, startRecordingMoto } from './moto-recorder.ts';
import type { SpecCheckedFake } from './spec-checked-fake.ts';

export type EmulatedProvider = 'digitalocean' | 'hetzner' | 'aws';
export const emulatedProviders: readonly EmulatedProvider[] = ['digitalocean', 'hetzner', 'aws'];

export type EmulatedVm = { id: string; userData: string };

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
  /** A fault on the create call: throttled (429; EC2: 503 RequestLimitExceeded), a 5xx, or the answer lost. */
  injectCreate(fault: Fault): void;
  /** When each create call reached the cloud (ms since the epoch), failed ones included. */
  createArrivals(): number[];
  /** Whether this provider's throttling answer carries Retry-After (EC2's does not). */
  sendsRetryAfter: boolean;
  /** Deletes that named no single resource: must stay empty. */
  deletesBySelector(): Promise<string[]>;
  /** AWS only: every Query API request moto served (AssumeRole, RunInstances, ...). */
  awsRequests?: () => Promise<RecordedAwsRequest[]>;
  stop(): Promise<void>;
};

const LOOPBACK = '127.0.0.1';

/** What must be installed for this provider's emulator (see `skipUnlessAvailable`). */
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

/** The fakes' shared part: faults and request log come from the spec-checked fake. */
function fromFake(fake: SpecCheckedFake, createRoute: `POST ${string}`) {
  const creates = (log: LoggedRequest[]) => log.filter((r) => r.route === createRoute).map((r) => r.at);
  return {
    injectCreate: (fault: Fault) => fake.inject(createRoute, fault),
    createArrivals: () => creates(fake.requests()),
    sendsRetryAfter: true,
    deletesBySelector: async () => deletesBySelector(fake.requests()),
    stop: () => fake.stop(),
  };
}

async function startEmulatedDigitalOcean(spec: string): Promise<EmulatedCloud> {
  const fake = await startDigitalOceanFake({ spec, publicIpv4: LOOPBACK });
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
        .filter((d) => d.tags.includes(`claw-instance-${instanceId}`))
        .map((d) => ({ id: String(d.id), userData: d.userData ?? '' })),
    ...fromFake(fake, 'POST /v2/droplets'),
  };
}

async function startEmulatedHetzner(spec: string): Promise<EmulatedCloud> {
  const fake = await startHetznerFake({ spec, publicIpv4: LOOPBACK });
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
        .filter((s) => s.labels['claw-instance'] === instanceId)
        .map((s) => ({ id: String(s.id), userData: s.userData ?? '' })),
    ...fromFake(fake, 'POST /servers'),
  };
}

const AWS_REGION = 'eu-central-1';
const CUSTOMER_ACCOUNT = '111122223333';
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

async function startEmulatedAws(): Promise<EmulatedCloud> {
  const moto: RecordingMotoPeer = await startRecordingMoto({ publicIpv4: LOOPBACK });
  let proxy: AwsFaultProxy;
  try {
    proxy = await startAwsFaultProxy(moto.url);
  } catch (err) {
    await moto.stop();
    throw err;
  }
  // The control plane's own identity, which assumes the customer's role, comes from the SDK's default
  // chain (the environment); moto accepts any key in its default mode.
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'platform-dummy';
  // Looks straight into the customer's account (moto picks it by this header), past the fault proxy.
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

  const userDataOf = async (i: Instance): Promise<string> => {
    const out = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute: 'userData' }),
    );
    return Buffer.from(out.UserData?.Value ?? '', 'base64').toString('utf8');
  };

  return {
    provider: 'aws',
    name: 'AWS',
    env: {
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
    size: 't3.small',
    async vmsOf(instanceId) {
      const out = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:ClawInstanceId', Values: [instanceId] },
            { Name: 'instance-state-name', Values: LIVE_STATES },
          ],
        }),
      );
      const found = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      return Promise.all(found.map(async (i) => ({ id: i.InstanceId ?? '', userData: await userDataOf(i) })));
    },
    injectCreate: (fault) => proxy.inject('RunInstances', fault),
    createArrivals: () => proxy.arrivals('RunInstances'),
    sendsRetryAfter: false,
    deletesBySelector: async () => awsDeletesBySelector(await moto.recordedRequests()),
    awsRequests: () => moto.recordedRequests(),
    async stop() {
      await proxy.stop();
      await moto.stop();
    },
  };
}
