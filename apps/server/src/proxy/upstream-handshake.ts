import { AppError } from '@claw/core';
import { upgradeAgentConnection, type PinnedTls, type Upgrade } from '../instances/agent-upgrade.ts';
import { acceptFor, newKey } from './handshake-keys.ts';

/** `opened` resolves with any frame bytes that came in behind the 101. */
export type Upstream = Upgrade;

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
 * credential and a fresh key (written only once the certificate passed the pinning check).
 */
export function openUpstream(url: URL, tls: PinnedTls, credential: string): Upstream {
  const key = newKey();
  return upgradeAgentConnection(
    url,
    tls,
    `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${credential}\r\n\r\n`,
    (head) => checkResponse(head, key),
  );
}
