// The whole control plane on a loopback port, on its own embedded database in a temp directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@claw/logger';
import { startControlPlane, type ControlPlane } from '@claw/server';

export type Stack = {
  url: string;
  /** The server's own database, for setting up states a journey cannot reach by clicking (a stale proof). */
  database: ControlPlane['database'];
  /** Every line the server logged, and the directory it writes to: where a secret must never turn up. */
  logLines(): string[];
  dataDir: string;
  close(): Promise<void>;
};

/**
 * `env` adds to the configuration: peers' URLs and feature switches a journey needs. `port` is for a
 * configuration that must name the server's own address before it starts (see `freePort`); else a random one.
 */
export async function startStack(env: Record<string, string> = {}, port = 0): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'claw-e2e-'));
  // Only the configuration the test chooses: nothing from the developer's shell leaks in.
  const log = createMemoryLogger();
  const server = await startControlPlane({ port, dataDir, log, env: { CLAW_LOG_LEVEL: 'warn', ...env } });
  return {
    url: server.url,
    database: server.database,
    logLines: () => log.lines,
    dataDir,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A loopback port free right now, for a server whose configuration must know its own origin in advance. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
