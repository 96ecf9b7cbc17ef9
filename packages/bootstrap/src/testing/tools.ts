// System tools the slow tests need. Missing tools skip with the install command on a developer machine and
// fail under CI=true, so CI can never pass by skipping.
import { spawnSync } from 'node:child_process';

export type Tool = { command: string; aptPackage: string };

export const CLOUD_INIT: Tool = { command: 'cloud-init', aptPackage: 'cloud-init' };
export const DEBOOTSTRAP: Tool = { command: 'debootstrap', aptPackage: 'debootstrap' };
export const NSPAWN: Tool = { command: 'systemd-nspawn', aptPackage: 'systemd-container' };

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function skipBecause(message: string): string {
  if (process.env.CI === 'true') throw new Error(`required for this test under CI: ${message}`);
  process.stderr.write(`\n*** SKIPPING: ${message} ***\n\n`);
  return message;
}

/** The value for node:test's `skip` option. */
export function skipUnlessTools(...tools: Tool[]): string | false {
  const missing = tools.filter((tool) => !onPath(tool.command));
  if (missing.length === 0) return false;
  return skipBecause(
    `missing ${missing.map((tool) => tool.command).join(', ')}: ` +
      `apt-get install -y --no-install-recommends ${missing.map((tool) => tool.aptPackage).join(' ')}`,
  );
}

/** debootstrap and systemd-nspawn need root (the boot test creates its own namespaces). */
export function skipUnlessRoot(): string | false {
  return process.getuid?.() === 0 ? false : skipBecause('needs root (debootstrap, systemd-nspawn)');
}
