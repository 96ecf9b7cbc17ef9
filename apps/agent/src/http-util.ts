import type http from 'node:http';

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
