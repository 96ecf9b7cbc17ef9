// The Debian root filesystem the boot test starts with systemd-nspawn, built once with debootstrap and cached
// under .cache/bootstrap-rootfs/<hash of everything that goes into it>. The packages the user-data installs
// are pre-seeded here so the boot itself needs no network (cloud-test-peers.md §5).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APT_PACKAGES } from '../packages.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CACHE_DIR = path.join(REPO_ROOT, '.cache/bootstrap-rootfs');
/** Where the boot test binds the artifacts the install script downloads (see FAKE_CURL). */
export const SEED_DIR_IN_ROOTFS = '/var/cache/claw-seed';

const SUITE = 'bookworm';
// cloud-init needs python3-cffi-backend named explicitly, or debootstrap stops on "dependency problems"
// (cloud-test-peers.md §5).
const BASE_PACKAGES = ['cloud-init', 'python3-cffi-backend', 'systemd', 'systemd-sysv', 'dbus', 'iproute2'];

// Test-only datasource: NoCloud from the seed folder. C.UTF-8 because a minbase rootfs has no en_US.UTF-8
// and cloud-init's locale module would fail (cloud-test-peers.md §5).
const TEST_CLOUD_CFG = 'datasource_list: [ NoCloud, None ]\nlocale: C.UTF-8\n';

// The container has no network, so the install script's downloads are served from the seed folder by file
// name. Everything after the download (integrity check, unpacking, npm) runs for real.
const FAKE_CURL = `#!/bin/sh
# boot-test stand-in for curl: the URL is the last argument, -o names the output file
out=
for arg in "$@"; do
  if [ "$prev" = -o ]; then out=$arg; fi
  prev=$arg
done
exec cp "${SEED_DIR_IN_ROOTFS}/\${prev##*/}" "$out"
`;

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
}

function cacheKey(): string {
  const inputs = JSON.stringify([SUITE, BASE_PACKAGES, APT_PACKAGES, TEST_CLOUD_CFG, FAKE_CURL]);
  return crypto.createHash('sha256').update(inputs).digest('hex').slice(0, 16);
}

/** The cached rootfs, built first if absent (minutes: debootstrap downloads from the configured mirror). */
export function ensureRootfs(): string {
  const dir = path.join(CACHE_DIR, `rootfs-${cacheKey()}`);
  if (fs.existsSync(dir)) return dir;
  const building = `${dir}.building-${process.pid}`;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const include = [...BASE_PACKAGES, ...APT_PACKAGES].join(',');
  run('debootstrap', ['--variant=minbase', `--include=${include}`, SUITE, building]);
  fs.writeFileSync(path.join(building, 'etc/cloud/cloud.cfg.d/99-boot-test.cfg'), TEST_CLOUD_CFG);
  fs.writeFileSync(path.join(building, 'usr/bin/curl'), FAKE_CURL, { mode: 0o755 });
  fs.mkdirSync(path.join(building, SEED_DIR_IN_ROOTFS.slice(1)), { recursive: true });
  fs.renameSync(building, dir);
  return dir;
}

if (import.meta.main) {
  const started = Date.now();
  const dir = ensureRootfs();
  process.stdout.write(`rootfs ready in ${dir} (${Math.round((Date.now() - started) / 1000)} s)\n`);
}
