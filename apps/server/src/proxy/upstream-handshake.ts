import { isIP } from 'node:net';
import {
  connect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { AppError } from '@claw/core';
import { acceptFor, newKey } from './handshake-keys.ts';

/** The pinning of `pinnedTls` (instances/agent-tls.ts): the agent's certificate as the only root, and its fingerprint. */
export type PinnedTls = {
  ca: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
};

export type Upstream = {
  socket: TLSSocket;
  /** Resolves once the agent accepted the upgrade, with any frame bytes that came in behind the 101. */
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

const refused = (message: string) => new AppError('instance.agent_unreachable', message);

/** Checks the agent's answer to our upgrade (RFC 6455 §4.1, the client's checks of the server's handshake). */
function checkResponse(head: string, key: string): AppError | null {
  const [statusLine = '', ...lines] = head.split('\r\n');
  if (!/^HTTP\/1\.1 101 /.test(statusLine)) return refused('The instance refused the upgrade.');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return refused('Not a WebSocket upgrade.');
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? ''))
    return refused('Not a WebSocket upgrade.');
  if (headers.get('sec-websocket-accept') !== acceptFor(key)) return refused('Wrong Sec-WebSocket-Accept.');
  // We offered no extension and no subprotocol, so the agent may name none (§4.1 items 5 and 6): frames
  // must stay plain for the bytes to be forwarded as they are.
  if (headers.has('sec-websocket-extensions')) return refused('The instance negotiated an extension.');
  if (headers.has('sec-websocket-protocol')) return refused('The instance selected a subprotocol.');
  return null;
}

/**
 * Opens TLS to the agent with its pinning and asks for the `/gateway` upgrade with the instance
 * credential and a fresh key. The request is written only after the certificate has passed the
 * pinning check, so the credential never goes to an impostor.
 */
export function openUpstream(url: URL, tls: PinnedTls, credential: string): Upstream {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const socket = connect({
    host,
    port: Number(url.port || 443),
    ...(isIP(host) ? {} : { servername: host }),
    secureContext: contextFor(tls.ca),
    checkServerIdentity: tls.checkServerIdentity,
  });
  // Frames are small and interactive: send each as it comes (no Nagle delay).
  socket.setNoDelay(true);
  const key = newKey();
  const opened = new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0);
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
    const onClose = () => fail(refused('The instance closed the connection during the upgrade.'));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) {
        if (received.length > maxResponseHeadBytes) fail(refused('The instance sent an oversized answer.'));
        return;
      }
      const problem = checkResponse(received.subarray(0, end).toString('latin1'), key);
      if (problem) return fail(problem);
      cleanup();
      // Whatever follows is already the agent's frames; nothing more is read until the caller is ready.
      socket.pause();
      resolve(received.subarray(end + 4));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.once('secureConnect', () => {
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${credential}\r\n\r\n`,
      );
    });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
  return { socket, opened };
}
