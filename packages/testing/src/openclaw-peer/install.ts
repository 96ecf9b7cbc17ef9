// Installs the real OpenClaw gateway (npm `openclaw`) into an ignored cache folder, once.
// Run as a script to pre-install it (CI does this before the tests):
//   node packages/testing/src/openclaw-peer/install.ts
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OPENCLAW_VERSION = '2026.9.6';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const INSTALL_BUDGET_MS = 15 * 60_000;
const LOCK_POLL_MS = 500;

export type OpenClawInstall = {
  /** Folder holding node_modules/openclaw. */
  dir: string;
  /** The CLI entry to start with a Node 24 binary (docs/gateway/embedding.md). */
  entry: string;
  version: string;
};

export function defaultPeerDir(): string {
  return process.env.CLAW_OPENCLAW_PEER_DIR ?? path.join(REPO_ROOT, '.cache', 'openclaw-peer');
}

function installedVersion(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/openclaw/package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

function describe(dir: string): OpenClawInstall {
  return { dir, entry: path.join(dir, 'node_modules/openclaw/openclaw.mjs'), version: OPENCLAW_VERSION };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Test files run in parallel processes; a lock folder keeps two of them from running npm in one prefix.
async function withInstallLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.install-lock');
  const deadline = Date.now() + INSTALL_BUDGET_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      if (owner > 0 && !isAlive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`openclaw peer: timed out waiting for the install lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function runNpmInstall(dir: string): Promise<string> {
  // openclaw's preinstall exits 1 below Node 24.16 (NOTES §1.1). npm runs lifecycle scripts with `node` from
  // PATH, so the repo's pinned Node 24 goes first.
  const env = {
    ...process.env,
    PATH: `${path.join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
  };
  const args = ['install', '--no-audit', '--no-fund', '--prefix', dir, `openclaw@${OPENCLAW_VERSION}`];
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_BUDGET_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`openclaw peer: cannot run npm (${err.message})`, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(new Error(`openclaw peer: npm install failed (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

/** Installs openclaw@OPENCLAW_VERSION into `dir` unless that exact version is already there. */
export async function ensureOpenClawInstalled(dir = defaultPeerDir()): Promise<OpenClawInstall> {
  if (installedVersion(dir) === OPENCLAW_VERSION) return describe(dir);
  fs.mkdirSync(dir, { recursive: true });
  return withInstallLock(dir, async () => {
    if (installedVersion(dir) === OPENCLAW_VERSION) return describe(dir);
    const manifest = path.join(dir, 'package.json');
    if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, '{ "private": true }\n');
    await runNpmInstall(dir);
    const version = installedVersion(dir);
    if (version !== OPENCLAW_VERSION) {
      throw new Error(
        `openclaw peer: expected openclaw ${OPENCLAW_VERSION} in ${dir}, found ${version ?? 'none'}`,
      );
    }
    return describe(dir);
  });
}

if (import.meta.main) {
  const started = Date.now();
  const install = await ensureOpenClawInstalled();
  process.stdout.write(
    `openclaw ${install.version} ready in ${install.dir} (${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
}
