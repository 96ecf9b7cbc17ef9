// The whole control plane on a random loopback port, on its own embedded database in a temp directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '@claw/server';

export type Stack = {
  url: string;
  /** The server's own database, for setting up states a journey cannot reach by clicking (a stale proof). */
  database: ControlPlane['database'];
  close(): Promise<void>;
};

/** `env` adds to the configuration: peers' URLs and feature switches a journey needs. */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'claw-e2e-'));
  // Only the configuration the test chooses: nothing from the developer's shell leaks in.
  const server = await startControlPlane({ port: 0, dataDir, env: { CLAW_LOG_LEVEL: 'warn', ...env } });
  return {
    url: server.url,
    database: server.database,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
