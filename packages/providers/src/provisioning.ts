// The one provisioning interface every cloud implements (digitalocean/, aws/, hetzner/ provisioner.ts), and
// what they share. One call = one provider step: nothing here waits for a VM to boot or retries; the durable
// workflow polls `get` and decides on retries from `ProviderError.retryable`.
import net from 'node:net';
import type { ProviderName } from './provider-error.ts';
import { ProviderError } from './provider-error.ts';

/** The OpenClaw agent's port; the only inbound port any firewall of ours opens. */
export const AGENT_PORT = 3000;

export type VmSpec = {
  /** Claw Cloud's instance id (a UUID): tags/labels, names and the AWS ClientToken derive from it. */
  instanceId: string;
  /** The VM's name at the provider (hostname rules apply). */
  name: string;
  /** DigitalOcean region slug, Hetzner location name, or AWS region. */
  region: string;
  /** A `Size.slug` from `listSizes()`. */
  size: string;
  /** DigitalOcean image slug, Hetzner image name, or AWS AMI id. */
  image: string;
  /** cloud-init user data, sent as is. */
  userData: string;
  /** The control plane's egress addresses (IPs or CIDRs): the only sources admitted on AGENT_PORT. */
  allowedSources: readonly string[];
};

/** What identifies a VM to every call after `create`. AWS instance ids are regional, hence `region`. */
export type VmRef = { instanceId: string; providerId: string; region: string };

export type VmStatus =
  /** Being built; poll again. */
  | 'creating'
  | 'running'
  /** Starting, stopping or rebooting; poll again. */
  | 'transitioning'
  | 'off'
  /** Deleted, being deleted, or never existed. */
  | 'gone';

export type Vm = VmRef & {
  status: VmStatus;
  publicIpv4?: string;
  publicIpv6?: string;
  size: string;
  /** The firewall (DigitalOcean/Hetzner firewall, AWS security group) that admits AGENT_PORT. */
  firewallId?: string;
  /** When the provider made it (absent for a VM that is gone): the reconciler spares young VMs. */
  createdAt?: Date;
};

/** An instance's place at a provider, when no VM of it is known. */
export type InstanceScope = Pick<VmRef, 'instanceId' | 'region'>;

/** Everything a credential reaches that carries our marker, as the reconciler sees it. */
export type OurResources = {
  /** Every VM of ours, with the instance id read from its tag/label; malformed ones are left out. */
  vms: Vm[];
  /** Instances whose firewall exists but no VM of theirs does (a create refused after the firewall). */
  firewallsWithoutVm: InstanceScope[];
};

export type Region = { slug: string; name: string; available: boolean };

export type Size = {
  slug: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  /** The highest price across `regions`, so we never show less than the user will pay. */
  priceMonthly: number;
  priceHourly: number;
  currency: 'USD' | 'EUR';
  /** True when the price is ours (a static table), not the provider's answer: show it as an estimate. */
  priceIsEstimate: boolean;
  regions: string[];
};

/** `destroy` is done when the VM and its firewall are gone; otherwise call it again after a short wait. */
export type DestroyResult = { done: boolean };

export type Provisioner = {
  readonly provider: ProviderName;
  /**
   * Creates the firewall and the VM, tagged/labelled as ours. Safe to repeat for the same `instanceId`: it
   * first looks for a VM of that instance and returns it when one exists.
   */
  create(spec: VmSpec): Promise<Vm>;
  /** Status `gone` when the VM does not exist (404 is an answer, not an error). */
  get(ref: VmRef): Promise<Vm>;
  /** Our VMs carrying this instance's tag/label (normally zero or one): the look-up before any retry. */
  findByInstance(ref: Pick<VmRef, 'instanceId' | 'region'>): Promise<Vm[]>;
  powerOn(ref: VmRef): Promise<void>;
  /** Graceful shutdown (ACPI), not a hard power cut. */
  powerOff(ref: VmRef): Promise<void>;
  reboot(ref: VmRef): Promise<void>;
  /** Deletes the VM, then its firewall, each by id. A VM that is already gone is success. */
  destroy(ref: VmRef): Promise<DestroyResult>;
  /**
   * Every VM and stray firewall carrying our marker, found by that marker alone (never by a user's own
   * resource: no marker, not listed). DigitalOcean and Hetzner answer for the whole account and ignore
   * `regions`; AWS is regional and lists exactly `regions`.
   */
  listOurs(regions: readonly string[]): Promise<OurResources>;
  /** Deletes, each by id, the firewalls of an instance that has no VM; found by the instance's tag/label. */
  destroyFirewalls(scope: InstanceScope): Promise<DestroyResult>;
  listRegions(): Promise<Region[]>;
  listSizes(): Promise<Size[]>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const INSTANCE_TAG_PREFIX = 'claw-instance-';

/** The per-instance tag (DigitalOcean) / name stem (everywhere): `claw-instance-<uuid>`. */
export function instanceTag(instanceId: string): string {
  return `${INSTANCE_TAG_PREFIX}${instanceId}`;
}

/** The instance a resource's tags name: exactly one well-formed `claw-instance-<uuid>`, or undefined. */
export function instanceIdFromTags(tags: readonly string[]): string | undefined {
  const named = tags.filter((t) => t.startsWith(INSTANCE_TAG_PREFIX));
  return named.length === 1 ? parseInstanceId(named[0]?.slice(INSTANCE_TAG_PREFIX.length)) : undefined;
}

/**
 * The instance id a tag/label value carries, or undefined when it is not a lower-case UUID: anything else
 * was not written by us, and the reconciler must not act on a guess.
 */
export function parseInstanceId(value: string | undefined): string | undefined {
  return value !== undefined && UUID.test(value) ? value : undefined;
}

/** Instance ids end up in tags, labels, names and session names: only a lower-case UUID is accepted. */
export function checkInstanceId(instanceId: string): void {
  if (!UUID.test(instanceId)) throw new Error('instanceId must be a lower-case UUID');
}

export type SourceRanges = { ipv4: string[]; ipv6: string[] };

/**
 * Checks what would otherwise reach the provider as a tag, a name or a firewall rule, and returns the
 * allowed sources as CIDRs (a bare address becomes /32 or /128). Refuses "everyone" ranges: the agent port is
 * for the control plane only.
 */
export function checkVmSpec(spec: VmSpec, maxUserDataBytes: number): SourceRanges {
  checkInstanceId(spec.instanceId);
  if (Buffer.byteLength(spec.userData) > maxUserDataBytes) {
    throw new Error(`userData exceeds the provider's limit of ${maxUserDataBytes} bytes`);
  }
  if (spec.allowedSources.length === 0) throw new Error('allowedSources must name the control plane');
  const ranges: SourceRanges = { ipv4: [], ipv6: [] };
  for (const source of spec.allowedSources) {
    const [address = '', prefix] = source.split('/');
    const family = net.isIP(address);
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : Number(prefix);
    if (family === 0 || !/^\d{1,3}$/.test(String(bits)) || bits > max) {
      throw new Error(`allowedSources: ${source} is not an IP address or CIDR`);
    }
    if (bits === 0) throw new Error(`allowedSources: ${source} would admit everyone`);
    (family === 4 ? ranges.ipv4 : ranges.ipv6).push(`${address}/${bits}`);
  }
  return ranges;
}

/** The error for a resource that exists but does not carry our tags: we never act on it. */
export function notOurs(provider: ProviderName, operation: string, providerId: string): ProviderError {
  return new ProviderError(
    `resource ${providerId} is not tagged as created by Claw Cloud for this instance`,
    {
      provider,
      operation,
      retryable: false,
      code: 'not_ours',
    },
  );
}

/** A VM that does not exist (any more). */
export function goneVm(ref: VmRef): Vm {
  return { ...ref, status: 'gone', size: '' };
}

/** Power actions need a VM: one that is gone is a non-retryable 404. */
export function vmNotFound(provider: ProviderName, operation: string, providerId: string): ProviderError {
  return new ProviderError(`VM ${providerId} not found`, {
    provider,
    operation,
    retryable: false,
    status: 404,
    code: 'not_found',
  });
}
