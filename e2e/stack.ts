// The whole control plane on a random loopback port, on its own embedded database in a temp directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '@claw/server';

export type Stack = { url: string; close(): Promise<void> };

export async function startStack(): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'claw-e2e-'));
  // Only the configuration the test chooses: nothing from the developer's shell leaks in.
  const server = await startControlPlane({ port: 0, dataDir, env: { CLAW_LOG_LEVEL: 'warn' } });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
