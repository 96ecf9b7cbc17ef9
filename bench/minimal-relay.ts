// The baseline: the smallest WebSocket-to-WebSocket relay, as one would write it with `ws`, run as its own
// process. argv: <upstream wss url> <certificate file>. Prints its port.
import { readFileSync } from 'node:fs';
import { WebSocket, WebSocketServer } from 'ws';

const [upstreamUrl, certFile] = process.argv.slice(2);
if (!upstreamUrl || !certFile) throw new Error('usage: minimal-relay.ts <wss url> <cert file>');
const ca = readFileSync(certFile, 'utf8');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (client) => {
  const upstream = new WebSocket(upstreamUrl, {
    ca,
    checkServerIdentity: () => undefined,
    perMessageDeflate: false,
  });
  const pending: [Buffer, boolean][] = [];
  client.on('message', (data: Buffer, isBinary) =>
    upstream.readyState === WebSocket.OPEN
      ? upstream.send(data, { binary: isBinary })
      : pending.push([data, isBinary]),
  );
  upstream.on('open', () =>
    pending.splice(0).forEach(([data, isBinary]) => upstream.send(data, { binary: isBinary })),
  );
  upstream.on('message', (data: Buffer, isBinary) => client.send(data, { binary: isBinary }));
  client.on('close', () => upstream.terminate());
  upstream.on('close', () => client.terminate());
  upstream.on('error', () => client.terminate());
});
wss.on('listening', () => process.stdout.write(`${(wss.address() as { port: number }).port}\n`));
