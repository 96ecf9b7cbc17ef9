// Boots a rootfs with systemd-nspawn and no network (only the container's own loopback), the user-data given
// to cloud-init through the NoCloud seed folder (cloud-test-peers.md §5). --volatile=overlay keeps every write
// in a tmpfs, so the cached rootfs stays clean and needs no `cloud-init clean` between boots.
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEED_DIR_IN_ROOTFS } from './rootfs.ts';

export type Container = {
  /** Runs a command inside every namespace of the container; never throws on a non-zero exit. */
  exec(command: string[]): { status: number | null; stdout: string; stderr: string };
  /** The console output so far (systemd and cloud-init). */
  console(): string;
  stop(): Promise<void>;
};

const START_TIMEOUT_MS = 20_000;

function containerInit(nspawn: ChildProcess): number | undefined {
  const result = spawnSync('pgrep', ['-P', String(nspawn.pid)], { encoding: 'utf8' });
  const pid = Number(result.stdout.trim().split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

export async function bootContainer(input: {
  rootfs: string;
  workDir: string;
  userData: string;
  artifactsDir: string;
}): Promise<Container> {
  const seed = path.join(input.workDir, 'seed');
  fs.mkdirSync(seed, { recursive: true });
  fs.writeFileSync(path.join(seed, 'user-data'), input.userData);
  fs.writeFileSync(
    path.join(seed, 'meta-data'),
    'instance-id: iid-boot-test\nlocal-hostname: claw-boot-test\n',
  );
  // No apt sources: `package_update` then succeeds offline, and the pre-seeded packages count as installed.
  const noSources = path.join(input.workDir, 'sources.list');
  fs.writeFileSync(noSources, '');

  const nspawn = spawn(
    'systemd-nspawn',
    [
      '-q',
      // Without these nspawn wants the host's systemd bus, which this kind of machine does not run.
      '--register=no',
      '--keep-unit',
      '--private-network',
      '--volatile=overlay',
      '--boot',
      '--console=pipe',
      `--directory=${input.rootfs}`,
      `--bind-ro=${seed}:/var/lib/cloud/seed/nocloud`,
      `--bind-ro=${input.artifactsDir}:${SEED_DIR_IN_ROOTFS}`,
      `--bind-ro=${noSources}:/etc/apt/sources.list`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  nspawn.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  nspawn.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => nspawn.once('exit', () => resolve()));

  let init: number | undefined;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (init === undefined) {
    if (nspawn.exitCode !== null || Date.now() > deadline) {
      nspawn.kill('SIGKILL');
      throw new Error(`systemd-nspawn did not start a container:\n${output.slice(-3000)}`);
    }
    await sleep(100);
    init = containerInit(nspawn);
  }
  const pid = String(init);
  return {
    exec: (command) => {
      const result = spawnSync('nsenter', ['-t', pid, '-a', ...command], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
    console: () => output,
    stop: async () => {
      // nspawn turns SIGTERM into a clean poweroff of the container.
      nspawn.kill('SIGTERM');
      const killer = setTimeout(() => nspawn.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
