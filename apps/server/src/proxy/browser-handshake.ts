import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptFor, isValidKey } from './handshake-keys.ts';

const tokens = (value: string | undefined) =>
  (value ?? '')
    .toLowerCase()
    .split(',')
    .map((token) => token.trim());

/**
 * Completes the browser's opening handshake on the raw socket (RFC 6455 §4.2.2). No extension is
 * accepted (§9.1: an extension the server does not name is not in use), so no permessage-deflate: sizes
 * are what they say and there is no compression oracle. No subprotocol is selected (§4.2.2 item 5.4:
 * the OpenClaw protocol needs none). Returns false, having answered with an HTTP error, when the request
 * is not a WebSocket upgrade this proxy can take.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex): boolean {
  if (!socket.writable) {
    socket.destroy();
    return false;
  }
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  // §4.2.1: GET, Upgrade: websocket, Connection: Upgrade, a valid key, version 13.
  if (
    req.method !== 'GET' ||
    !tokens(req.headers.upgrade).includes('websocket') ||
    !tokens(req.headers.connection).includes('upgrade') ||
    !isValidKey(key)
  ) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return false;
  }
  if (version !== '13') {
    // §4.4: name the version we speak.
    socket.end(
      'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
    return false;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
  );
  return true;
}
