import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@claw/logger';
import { createHttpClient, createTestDatabase, type AgentProcess, type HttpClient } from '@claw/testing';
import { startControlPlane } from './control-plane.ts';

/** A control plane on port 0 over a fresh test database, with its log lines captured. */
export async function startTestPlane(env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'claw-plane-'));
  const log = createMemoryLogger();
  const plane = await startControlPlane({
    port: 0,
    dataDir,
    database,
    log,
    env: { CLAW_LOG_LEVEL: 'info', ...env },
  });
  // With an https public URL (deploying needs one), the dashboard's origin is that URL, not where we listen.
  const origin = plane.config.publicUrl ? new URL(plane.config.publicUrl).origin : undefined;
  const client = () => createHttpClient(plane.url, origin ? { origin } : {});
  return {
    plane,
    database,
    log,
    client,
    /** Signs a new user up and returns their client (holding the session) and id. */
    async signUp(
      email = `user-${crypto.randomUUID()}@example.com`,
      password = 'correct horse battery staple',
    ) {
      const client = createHttpClient(plane.url, origin ? { origin } : {});
      const response = await client.post('/api/auth/signup', { email, password });
      if (response.status !== 201) throw new Error(`signup failed: ${response.status}`);
      return { client, email, password, id: response.json.user.id as string };
    },
    close: async () => {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestPlane = Awaited<ReturnType<typeof startTestPlane>>;

/** `POST /api/instances/adopt` with the three lines the agent printed at its first start (plus overrides). */
export function adoptAgent(
  client: HttpClient,
  agent: Pick<AgentProcess, 'url' | 'fingerprint' | 'registrationCode'>,
  overrides: Record<string, string> = {},
) {
  return client.post('/api/instances/adopt', {
    name: 'home',
    agentUrl: agent.url,
    fingerprint: agent.fingerprint,
    registrationCode: agent.registrationCode,
    ...overrides,
  });
}

/** Adopts the agent and returns the new instance's id (the adoption must succeed). */
export async function adoptedInstance(
  client: HttpClient,
  agent: AgentProcess,
  name = 'home',
): Promise<string> {
  const adopted = await adoptAgent(client, agent, { name });
  if (adopted.status !== 201) throw new Error(`adoption failed: ${JSON.stringify(adopted.json)}`);
  return adopted.json.instance.id as string;
}
