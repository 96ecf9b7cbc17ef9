// A stand-in for the instance side in benchmarks: the agent's HTTPS surface (register, healthz, /gateway,
// /v1/chat/completions) answering with an echo, so the measurement is the proxy alone.
import { createServer } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { loadOrCreateCertificate } from '../apps/agent/src/certificate.ts';

export async function startFakeAgent() {
  const certificate = await loadOrCreateCertificate(mkdtempSync(join(tmpdir(), 'claw-bench-agent-')));
  const server = createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    if (req.url === '/register' || req.url === '/healthz') {
      req.resume();
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ ok: true, agentVersion: 'bench', gateway: { ready: true, version: 'bench' } }),
      );
      return;
    }
    if (req.url === '/v1/chat/completions') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), 5);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 1024 * 1024 });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    certificate,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
