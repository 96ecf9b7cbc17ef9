// The control plane's end of the support tunnel (docs/support-tunnel.md): the agent's `GET /support/tunnel`
// upgraded to a raw byte stream to the instance's sshd, over TLS pinned to the agent's certificate, with the
// instance credential. What then flows is SSH, encrypted end to end between the engineer and sshd: this side
// sees only its size.
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { AppError } from '@claw/core';
import type { AgentEndpoint } from '../instances/agent-client.ts';
import { pinnedTls } from '../instances/agent-tls.ts';

export type SupportTunnel = {
  socket: TLSSocket;
  /** sshd's first bytes when they came in the same read as the 101; to be written out before the rest. */
  head: Buffer;
};

const tunnelProtocol = 'claw-support-ssh';
const maxResponseHeadBytes = 8 * 1024;
const openTimeoutMs = 15_000;

// The agent's refusals (apps/agent/src/support/support-tunnel.ts), in words for the support engineer.
const refusals: Record<number, string> = {
  401: 'The instance refused the instance credential.',
  404: 'Support access is not enabled on this instance.',
  409: 'No support grant is active on this instance: the user has to grant access first.',
  503: 'The instance has too many support tunnels open.',
  502: 'The instance could not reach its sshd.',
  504: 'The instance could not reach its sshd in time.',
};

function refusal(head: string): AppError | null {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  if (status !== 101) {
    const message = refusals[status] ?? `The instance refused the tunnel (HTTP ${status || 'garbage'}).`;
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
export function openSupportTunnel(endpoint: AgentEndpoint, credential: string): Promise<SupportTunnel> {
  const url = new URL(endpoint.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const socket = connect({
    host,
    port: Number(url.port || 443),
    ...(isIP(host) ? {} : { servername: host }),
    ...pinnedTls(endpoint.certificatePem, endpoint.fingerprint),
  });
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(
      () => fail(new AppError('instance.agent_unreachable', 'The instance did not open the tunnel in time.')),
      openTimeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onError = (cause: Error) =>
      fail(
        cause instanceof AppError
          ? cause
          : new AppError('instance.agent_unreachable', 'Could not reach the instance.', { cause }),
      );
    const onClose = () =>
      fail(new AppError('instance.agent_unreachable', 'The instance closed the connection.'));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) {
        if (received.length > maxResponseHeadBytes)
          fail(new AppError('support.failed', 'The instance sent an oversized answer.'));
        return;
      }
      const problem = refusal(received.subarray(0, end).toString('latin1'));
      if (problem) return fail(problem);
      cleanup();
      // Nothing more is read until the caller pipes the socket somewhere.
      socket.pause();
      resolve({ socket, head: received.subarray(end + 4) });
    };
    socket.once('secureConnect', () =>
      socket.write(
        `GET /support/tunnel HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\n` +
          `Upgrade: ${tunnelProtocol}\r\nAuthorization: Bearer ${credential}\r\n\r\n`,
      ),
    );
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}
