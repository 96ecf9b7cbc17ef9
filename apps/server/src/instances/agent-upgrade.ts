// One HTTP upgrade to an agent over TLS pinned to its certificate: the chat pipe's `/gateway` (WebSocket) and the
// support tunnel (raw bytes) both open this way and differ only in their request and in what answer they accept.
import { isIP } from 'node:net';
import {
  connect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { AppError } from '@claw/core';

/** The pinning of `pinnedTls` (agent-tls.ts): the agent's certificate as the only root, and its fingerprint. */
export type PinnedTls = {
  ca: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
};

export type Upgrade = {
  socket: TLSSocket;
  /** Resolves once the agent's answer passed the check, with any bytes that came in behind it. */
  opened: Promise<Buffer>;
};

// The 101 and its headers; anything longer is not an agent we speak to.
const maxResponseHeadBytes = 8 * 1024;
// A context holds the parsed root; building one per connection would cost a certificate store each.
const maxContexts = 1024;
const contexts = new Map<string, SecureContext>();

function contextFor(ca: string): SecureContext {
  const cached = contexts.get(ca);
  if (cached) {
    contexts.delete(ca);
    contexts.set(ca, cached);
    return cached;
  }
  const context = createSecureContext({ ca });
  contexts.set(ca, context);
  for (const oldest of contexts.keys()) {
    if (contexts.size <= maxContexts) break;
    contexts.delete(oldest);
  }
  return context;
}

const unreachable = (message: string, cause?: unknown) =>
  new AppError('instance.agent_unreachable', message, cause === undefined ? {} : { cause });

/**
 * Connects, and writes `request` (which carries the credential) only after the certificate passed the pinning
 * check, so the credential never goes to an impostor. `check` judges the answer's head (status line and
 * headers); whatever follows it is returned unread and the socket is paused until the caller is ready.
 */
export function upgradeAgentConnection(
  url: URL,
  tls: PinnedTls,
  request: string,
  check: (head: string) => AppError | null,
  options: { timeoutMs?: number } = {},
): Upgrade {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const socket = connect({
    host,
    port: Number(url.port || 443),
    ...(isIP(host) ? {} : { servername: host }),
    secureContext: contextFor(tls.ca),
    checkServerIdentity: tls.checkServerIdentity,
  });
  // Both pipes carry small interactive messages: send each as it comes (no Nagle delay).
  socket.setNoDelay(true);
  const opened = new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(unreachable('The instance did not answer in time.')), options.timeoutMs);
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
      fail(cause instanceof AppError ? cause : unreachable('Could not reach the instance.', cause));
    const onClose = () => fail(unreachable('The instance closed the connection during the upgrade.'));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) {
        if (received.length > maxResponseHeadBytes)
          fail(unreachable('The instance sent an oversized answer.'));
        return;
      }
      const problem = check(received.subarray(0, end).toString('latin1'));
      if (problem) return fail(problem);
      cleanup();
      socket.pause();
      resolve(received.subarray(end + 4));
    };
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
  return { socket, opened };
}
