// renderCloudInit: the exact #cloud-config user-data for one instance. Deterministic (same input, same
// bytes: no clock, no randomness; secrets of the instance are generated on the instance) and small enough for
// the provider's user-data limit. Uses only long-stable modules (cloud-test-peers.md §5).
import { stringify } from 'yaml';
import { callbackConfig } from './callback.ts';
import { fail2banJail } from './fail2ban.ts';
import { gatewayConfig } from './gateway-config.ts';
import { installScript } from './install-script.ts';
import { packagesSection } from './packages.ts';
import type { PinnedPackage } from './pins.ts';
import { OPENCLAW, isPinned } from './pins.ts';
import type { BootstrapProvider } from './providers.ts';
import { USER_DATA_LIMITS } from './providers.ts';
import { runcmdSection } from './runcmd.ts';
import { sshSection, sshdDropIn } from './ssh.ts';
import { agentUnit, gatewayUnit } from './units.ts';
import { autoUpgrades } from './upgrades.ts';
import { usersSection } from './users.ts';

export type BootstrapInput = {
  provider: BootstrapProvider;
  /** The control plane's public HTTPS origin; the agent calls back to `<origin>/api/agent/register`. */
  controlPlaneUrl: string;
  instanceId: string;
  /** One-time, expires in 1 h; the control plane keeps only its hash. */
  registrationCode: string;
  /** The published agent tarball (its dependencies bundled), pinned by integrity. */
  agentPackage: PinnedPackage;
  /** Defaults to the OpenClaw release this bootstrap was verified with. */
  openclawPackage?: PinnedPackage;
};

/** What the inspection view shows instead of the per-instance values. */
export const PLACEHOLDERS = {
  instanceId: '<per-instance id>',
  registrationCode: '<per-instance registration code>',
} as const;

export class BootstrapInputError extends Error {
  override name = 'BootstrapInputError';
}

const INSTANCE_ID = /^[A-Za-z0-9_-]{1,64}$/;
// >= 128 bits as base64url; the shape also keeps the value inert inside YAML and JSON.
const REGISTRATION_CODE = /^[A-Za-z0-9_-]{22,128}$/;

function checkedOrigin(raw: string, bad: string[]): string {
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' && url.origin === raw.replace(/\/$/, '')) return url.origin;
  } catch {
    // reported below
  }
  bad.push('controlPlaneUrl (an https:// origin without path, query or credentials)');
  return raw;
}

function validate(input: BootstrapInput, placeholders: boolean): string {
  const bad: string[] = [];
  const origin = checkedOrigin(input.controlPlaneUrl, bad);
  if (!(input.provider in USER_DATA_LIMITS)) bad.push('provider');
  if (!placeholders && !INSTANCE_ID.test(input.instanceId)) bad.push('instanceId');
  if (!placeholders && !REGISTRATION_CODE.test(input.registrationCode)) bad.push('registrationCode');
  if (!isPinned(input.agentPackage)) bad.push('agentPackage (name, exact version, sha512 integrity)');
  if (input.openclawPackage && !isPinned(input.openclawPackage)) bad.push('openclawPackage');
  if (bad.length > 0) throw new BootstrapInputError(`invalid bootstrap input: ${bad.join(', ')}`);
  return origin;
}

function render(input: BootstrapInput, placeholders: boolean): string {
  const controlPlaneUrl = validate(input, placeholders);
  const document = {
    ...usersSection(),
    ...sshSection(),
    ...packagesSection(),
    write_files: [
      sshdDropIn(),
      fail2banJail(),
      autoUpgrades(),
      installScript({ agent: input.agentPackage, openclaw: input.openclawPackage ?? OPENCLAW }),
      gatewayUnit(),
      agentUnit(),
      callbackConfig({ ...input, controlPlaneUrl }),
      gatewayConfig(),
    ],
    ...runcmdSection(),
  };
  // lineWidth 0: never fold long lines, so each command reads as one line.
  const text = `#cloud-config\n# Claw Cloud bootstrap; every line is explained in docs/bootstrap.md.\n${stringify(document, { lineWidth: 0 })}`;
  const limit = USER_DATA_LIMITS[input.provider];
  if (Buffer.byteLength(text) > limit) {
    throw new BootstrapInputError(`user-data exceeds the ${input.provider} limit of ${limit} bytes`);
  }
  return text;
}

export function renderCloudInit(input: BootstrapInput): string {
  return render(input, false);
}

/** The same document with placeholders for the per-instance values, for "see exactly what will run". */
export function renderCloudInitPreview(
  input: Omit<BootstrapInput, 'instanceId' | 'registrationCode'>,
): string {
  return render({ ...input, ...PLACEHOLDERS }, true);
}
