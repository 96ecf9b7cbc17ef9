// Where the peers' inputs come from and what to do when one is missing: skip with a clear message on a
// developer machine, fail under CI=true (a silently skipped peer test is a hole in CI).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Availability = { ok: true; path: string } | { ok: false; reason: string };

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The official specs live outside the repo (shared/specs); CLAW_SPECS_DIR overrides `<repo>/../shared/specs`. */
export function specsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAW_SPECS_DIR ? path.resolve(env.CLAW_SPECS_DIR) : path.resolve(REPO_ROOT, '../shared/specs');
}

const SPEC_FILES = {
  digitalocean: 'digitalocean-openapi/specification/DigitalOcean-public.v2.yaml',
  hetzner: 'hetzner-cloud-openapi/openapi/hcloud.json',
} as const;

export type SpecName = keyof typeof SPEC_FILES;

export function locateSpec(name: SpecName, env: NodeJS.ProcessEnv = process.env): Availability {
  const file = path.join(specsDir(env), SPEC_FILES[name]);
  if (fs.existsSync(file)) return { ok: true, path: file };
  return {
    ok: false,
    reason: `${name} OpenAPI spec not found at ${file} (set CLAW_SPECS_DIR to the folder holding shared/specs)`,
  };
}

/** Prism comes from the root devDependency @stoplight/prism-cli; we run its entry on the current Node. */
export function locatePrism(): Availability {
  try {
    const require = createRequire(path.join(REPO_ROOT, 'package.json'));
    const pkgPath = require.resolve('@stoplight/prism-cli/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { bin: { prism: string } };
    return { ok: true, path: path.resolve(path.dirname(pkgPath), pkg.bin.prism) };
  } catch (err) {
    return { ok: false, reason: `prism not installed (@stoplight/prism-cli): ${(err as Error).message}` };
  }
}

/** moto ships only with the machine image's python3 (PyPI is unreachable), notes §1. */
export function locateMoto(python = 'python3'): Availability {
  const probe = spawnSync(python, ['-c', 'import moto, flask, werkzeug; print(moto.__version__)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.status === 0) return { ok: true, path: python };
  const detail = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? 'unknown error';
  return { ok: false, reason: `moto is not importable from ${python} (${detail})` };
}

/**
 * The value for node:test's `skip` option: false when every peer input is there, else the reasons. Under
 * CI=true a missing peer throws instead, so CI can never pass by skipping.
 */
export function skipUnlessAvailable(...items: Availability[]): string | false {
  const reasons = items.flatMap((item) => (item.ok ? [] : [item.reason]));
  if (reasons.length === 0) return false;
  const message = reasons.join('; ');
  if (process.env.CI === 'true') throw new Error(`cloud peer missing under CI: ${message}`);
  return message;
}
