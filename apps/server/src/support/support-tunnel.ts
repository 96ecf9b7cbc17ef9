// The control plane's end of the support tunnel (docs/support-tunnel.md): the agent's `GET /support/tunnel`
// upgraded to a raw byte stream to the instance's sshd, over TLS pinned to the agent's certificate, with the
// instance credential. What then flows is SSH, encrypted end to end between the engineer and sshd: this side
// sees only its size.
import type { TLSSocket } from 'node:tls';
import { AppError } from '@claw/core';
import type { AgentEndpoint } from '../instances/agent-client.ts';
import { pinnedTls } from '../instances/agent-tls.ts';
import { upgradeAgentConnection } from '../instances/agent-upgrade.ts';

export type SupportTunnel = {
  socket: TLSSocket;
  /** sshd's first bytes when they came in the same read as the 101; to be written out before the rest. */
  head: Buffer;
};

const tunnelProtocol = 'claw-support-ssh';
const openTimeoutMs = 15_000;

// The agent's refusals of the tunnel (apps/agent/src/support/support-tunnel.ts) and of its other support
// routes, in words for the support engineer.
const refusals: Record<number, string> = {
  401: 'The instance refused the instance credential.',
  404: 'Support access is not enabled on this instance.',
  409: 'No support grant is active on this instance: the user has to grant access first.',
  503: 'The instance has too many support tunnels open.',
  502: 'The instance could not reach its sshd.',
  504: 'The instance could not reach its sshd in time.',
};

/** The support engineer's words for one of the agent's support refusals, if it is one of them. */
export function agentRefusalMessage(status: number): string | undefined {
  return refusals[status];
}

function refusal(head: string): AppError | null {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  if (status !== 101) {
    const message =
      agentRefusalMessage(status) ?? `The instance refused the tunnel (HTTP ${status || 'garbage'}).`;
    return new AppError('support.failed', message);
  }
  const upgrade = lines.find((line) => /^upgrade:/i.test(line));
  if (upgrade?.slice('upgrade:'.length).trim().toLowerCase() !== tunnelProtocol)
    return new AppError('support.failed', 'The instance switched to another protocol.');
  return null;
}

/**
 * Opens the tunnel. The request (and the credential in it) is written only after the certificate passed
 * the pinning check; nothing of the caller's is sent before the 101, so a refusal leaves no byte at sshd.
 */
export async function openSupportTunnel(endpoint: AgentEndpoint, credential: string): Promise<SupportTunnel> {
  const url = new URL('/support/tunnel', endpoint.url);
  const { socket, opened } = upgradeAgentConnection(
    url,
    pinnedTls(endpoint.certificatePem, endpoint.fingerprint),
    `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\n` +
      `Upgrade: ${tunnelProtocol}\r\nAuthorization: Bearer ${credential}\r\n\r\n`,
    refusal,
    { timeoutMs: openTimeoutMs },
  );
  return { socket, head: await opened };
}
