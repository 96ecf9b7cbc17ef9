// The floor: a byte pipe from plain TCP to TLS, reading nothing and enforcing nothing, run as its own
// process. Any proxy in its own process costs at least this hop (two more wake-ups and one more TLS
// connection per chat). argv: <agent https url> <certificate file>. Prints its port.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect, createSecureContext } from 'node:tls';

const [agentUrl, certFile] = process.argv.slice(2);
if (!agentUrl || !certFile) throw new Error('usage: raw-pipe.ts <agent url> <cert file>');
const { hostname, port } = new URL(agentUrl);
const secureContext = createSecureContext({ ca: readFileSync(certFile, 'utf8') });
const server = createServer((client) => {
  const upstream = connect({
    host: hostname,
    port: Number(port),
    secureContext,
    checkServerIdentity: () => undefined,
  });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
