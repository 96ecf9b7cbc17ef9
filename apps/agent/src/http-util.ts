import http from 'node:http';
import type { Duplex } from 'node:stream';

// A refused upgrade's socket is closed after this long even if the client never ends its side.
const REFUSED_LINGER_MS = 5_000;

/** Error answers carry a code only: no detail that could help a prober or leak state. */
export function sendError(res: http.ServerResponse, status: number, code: string): void {
  sendJson(res, status, { error: { code } });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

/** The request body, or undefined when it exceeds `maxBytes` (reading stops; answer with rejectTooLarge). */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** 413, and the connection is closed after it instead of reading the rest of an oversized body. */
export function rejectTooLarge(res: http.ServerResponse): void {
  res.setHeader('connection', 'close');
  sendError(res, 413, 'payload_too_large');
}

/** The bearer secret of an `Authorization: Bearer <secret>` header (RFC 6750 §2.1). */
export function bearerOf(req: http.IncomingMessage): string | undefined {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Answers an upgrade request that is not accepted, on the raw socket (no ServerResponse exists for it), with
 * the same `{ error: { code } }` body as any other error, and closes the connection. Bytes the client sent
 * after its request are read and dropped, so that closing does not reset the connection before the answer
 * arrived.
 */
export function rejectUpgrade(socket: Duplex, status: number, code: string): void {
  const body = JSON.stringify({ error: { code } });
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}
