import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const agentMain = fileURLToPath(new URL('../../../apps/agent/src/main.ts', import.meta.url));

export type AgentProcess = {
  url: string;
  fingerprint: string;
  registrationCode: string;
  stateDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Ends it with a signal (SIGKILL to simulate a crash), and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Runs the real agent as its own process (as on a user's server), on 127.0.0.1 and a free port,
 * and reads the adoption details it prints for its operator.
 */
export async function startAgentProcess(options: {
  gatewayUrl: string;
  gatewayToken: string;
  env?: Record<string, string>;
}): Promise<AgentProcess> {
  const stateDir = await mkdtemp(join(tmpdir(), 'claw-agent-'));
  const child: ChildProcess = spawn(process.execPath, [agentMain], {
    env: {
      PATH: process.env.PATH ?? '',
      CLAW_AGENT_HOST: '127.0.0.1',
      CLAW_AGENT_PORT: '0',
      CLAW_AGENT_STATE_DIR: stateDir,
      CLAW_AGENT_GATEWAY_URL: options.gatewayUrl,
      OPENCLAW_GATEWAY_TOKEN: options.gatewayToken,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 30_000;
  let details: { port: string; fingerprint: string; code: string } | undefined;
  while (!details) {
    const port = /"event":"agent\.started"[^\n]*"port":(\d+)/.exec(output)?.[1];
    const fingerprint = /Fingerprint:\s+([0-9A-F:]{95})/.exec(output)?.[1];
    const code = /Code:\s+(\S+)/.exec(output)?.[1];
    if (port && fingerprint && code) details = { port, fingerprint, code };
    else if (child.exitCode !== null) throw new Error(`agent exited early:\n${output}`);
    else if (Date.now() > deadline) throw new Error(`agent did not start in time:\n${output}`);
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `https://127.0.0.1:${details.port}`,
    fingerprint: details.fingerprint,
    registrationCode: details.code,
    stateDir,
    output: () => output,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** The one-time registration code a new server's user-data carries (packages/bootstrap puts it there). */
export function registrationCodeIn(userData: string | undefined): string | undefined {
  return /"registrationCode": "([A-Za-z0-9_-]+)"/.exec(userData ?? '')?.[1];
}

/**
 * What a new server's agent does at first boot (apps/agent/src/callback-registration.ts): calls the control
 * plane back with the instance's one-time code, its certificate's fingerprint and its own adoption code.
 */
export function callBackAsNewServer(
  planeUrl: string,
  instanceId: string,
  registrationCode: string,
  agent: Pick<AgentProcess, 'fingerprint' | 'registrationCode'>,
): Promise<Response> {
  return fetch(new URL('/api/agent/register', planeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      instanceId,
      registrationCode,
      fingerprint: agent.fingerprint,
      adoptionCode: agent.registrationCode,
    }),
  });
}
