// The tarballs the install script downloads, prepared on the host for the offline boot (the rootfs's curl
// serves them by file name). Node and npm are the real pinned releases, so their integrity pins are checked
// for real in the boot. The agent tarball is built from this repo's apps/agent with its dependencies bundled,
// as the published one must be. OpenClaw is replaced by stub-openclaw.mjs (see there).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PinnedPackage } from '../pins.ts';
import { NODE_BY_ARCH, NPM, OPENCLAW, tarballUrl } from '../pins.ts';
import { CACHE_DIR, REPO_ROOT } from './rootfs.ts';

const fileName = (pkg: PinnedPackage) => path.basename(tarballUrl(pkg));

function sri(file: string): string {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

function tar(staging: string, out: string): void {
  const result = spawnSync('tar', ['-czf', out, '-C', staging, 'package'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tar failed: ${result.stderr}`);
}

/** A real registry tarball, fetched once with `npm pack` into the cache and checked against its pin. */
function registryTarball(pkg: PinnedPackage, into: string): void {
  const cached = path.join(CACHE_DIR, 'artifacts', fileName(pkg));
  if (!fs.existsSync(cached)) {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const result = spawnSync(
      'npm',
      ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', path.dirname(cached)],
      {
        encoding: 'utf8',
      },
    );
    if (result.status !== 0) throw new Error(`npm pack ${pkg.name}@${pkg.version} failed: ${result.stderr}`);
  }
  if (sri(cached) !== pkg.integrity) throw new Error(`${cached} does not match the pinned integrity`);
  fs.copyFileSync(cached, path.join(into, fileName(pkg)));
}

/** The runtime closure of a package's dependencies, from the repo's (hoisted) node_modules. */
function dependencyDirs(name: string, seen = new Map<string, string>()): Map<string, string> {
  const dir = path.join(REPO_ROOT, 'node_modules', name);
  if (seen.has(name)) return seen;
  seen.set(name, dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of Object.keys(pkg.dependencies ?? {})) dependencyDirs(dep, seen);
  return seen;
}

function agentTarball(into: string, version: string): PinnedPackage {
  const agentDir = path.join(REPO_ROOT, 'apps/agent');
  const staging = fs.mkdtempSync(path.join(into, 'agent-'));
  const root = path.join(staging, 'package');
  fs.mkdirSync(root, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(agentDir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ ...manifest, version }));
  // What the published tarball must hold: the sources without tests and test helpers.
  fs.cpSync(path.join(agentDir, 'src'), path.join(root, 'src'), {
    recursive: true,
    filter: (source) => !source.endsWith('.test.ts') && path.basename(source) !== 'testing',
  });
  const closure = new Map<string, string>();
  for (const dep of Object.keys(manifest.dependencies)) dependencyDirs(dep, closure);
  for (const [name, dir] of closure)
    fs.cpSync(dir, path.join(root, 'node_modules', name), { recursive: true });
  const pkg = { name: '@claw-cloud/agent', version, integrity: '' };
  const out = path.join(into, fileName(pkg));
  tar(staging, out);
  fs.rmSync(staging, { recursive: true, force: true });
  return { ...pkg, integrity: sri(out) };
}

function stubOpenClawTarball(into: string): PinnedPackage {
  const staging = fs.mkdtempSync(path.join(into, 'openclaw-'));
  const root = path.join(staging, 'package');
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: OPENCLAW.name, version: OPENCLAW.version, type: 'module' }),
  );
  fs.copyFileSync(path.join(import.meta.dirname, 'stub-openclaw.mjs'), path.join(root, 'openclaw.mjs'));
  const out = path.join(into, fileName(OPENCLAW));
  tar(staging, out);
  fs.rmSync(staging, { recursive: true, force: true });
  return { ...OPENCLAW, integrity: sri(out) };
}

/** Fills `into` with the four tarballs; returns the pins to render the user-data with. */
export function prepareArtifacts(into: string): {
  agentPackage: PinnedPackage;
  openclawPackage: PinnedPackage;
} {
  registryTarball(NODE_BY_ARCH.x86_64, into);
  registryTarball(NPM, into);
  return { agentPackage: agentTarball(into, '0.1.0'), openclawPackage: stubOpenClawTarball(into) };
}
