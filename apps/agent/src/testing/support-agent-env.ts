import path from 'node:path';
import { startAgentProcess, type AgentProcess } from '@claw/testing';
import { startOpenSshFixture, type OpenSshFixture } from './openssh-fixture.ts';

/** The environment that points an agent process's support access at the fixture's sshd and folders. */
export function supportAgentEnv(ssh: OpenSshFixture): Record<string, string> {
  return {
    CLAW_AGENT_SUPPORT: 'on',
    CLAW_AGENT_SUPPORT_USER: ssh.user,
    CLAW_AGENT_SUPPORT_SSHD_CONFIG: ssh.sshdConfig,
    CLAW_AGENT_SUPPORT_DROP_IN: path.join(ssh.dropInDir, '50-claw-support.conf'),
    CLAW_AGENT_SUPPORT_TRUST_DIR: path.join(ssh.root, 'trust'),
    CLAW_AGENT_SUPPORT_SUDOERS: path.join(ssh.root, 'sudoers.d', '50-claw-support'),
    CLAW_AGENT_SUPPORT_SSHD_PID_FILE: ssh.pidFile,
    CLAW_AGENT_SUPPORT_SOCKET: path.join(ssh.root, 'run', 'support.sock'),
    CLAW_AGENT_SUPPORT_SSH_ADDRESS: `127.0.0.1:${ssh.port}`,
  };
}

/**
 * A real sshd and a real agent process (as on a user's server) whose support access points at it; no gateway
 * behind the agent, since support access needs none.
 */
export async function startSupportedAgent(): Promise<{
  ssh: OpenSshFixture;
  agent: AgentProcess;
  stop(): Promise<void>;
}> {
  const ssh = await startOpenSshFixture();
  const agent = await startAgentProcess({
    gatewayUrl: 'http://127.0.0.1:9',
    gatewayToken: 'unused-gateway-token',
    env: supportAgentEnv(ssh),
  }).catch(async (error: unknown) => {
    await ssh.stop();
    throw error;
  });
  return {
    ssh,
    agent,
    stop: async () => {
      await agent.stop();
      await ssh.stop();
    },
  };
}
