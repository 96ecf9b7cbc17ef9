// An ssh ProxyCommand for tests, doing what the control plane's `claw-cloud support connect` does:
//   ssh -o ProxyCommand="node tunnel-proxy-command.ts <agent url> <fingerprint> <credential file>" …
// It opens the support tunnel over TLS pinned to the agent's certificate with the instance credential, then
// copies stdin to the tunnel and the tunnel to stdout. Unlike the control plane it does not wait for the 101
// before sending: ssh's banner goes out right behind the request, so the agent's handling of early bytes is
// exercised by every test login. On a refusal it prints the agent's status line and exits 1.
import fs from 'node:fs';
import tls from 'node:tls';
import { pinnedTlsOptions } from './pinned-tls.ts';

const MAX_HEAD_BYTES = 8 * 1024;

const [agentUrl = '', fingerprint = '', credentialFile = ''] = process.argv.slice(2);
const credential = fs.readFileSync(credentialFile, 'utf8').trim();
const url = new URL(agentUrl);
const socket = tls.connect({
  host: url.hostname,
  port: Number(url.port),
  ...(await pinnedTlsOptions(agentUrl, fingerprint)),
});
socket.setNoDelay(true);
socket.once('secureConnect', () => {
  socket.write(
    `GET /support/tunnel HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\n` +
      `Upgrade: claw-support-ssh\r\nAuthorization: Bearer ${credential}\r\n\r\n`,
  );
  process.stdin.pipe(socket);
});

let head = Buffer.alloc(0);
function onHead(chunk: Buffer): void {
  head = Buffer.concat([head, chunk]);
  const end = head.indexOf('\r\n\r\n');
  if (end === -1 && head.length < MAX_HEAD_BYTES) return;
  const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
  if (end === -1 || !/^HTTP\/1\.1 101 /.test(statusLine)) {
    process.stderr.write(`tunnel refused: ${statusLine}\n`);
    process.exit(1);
  }
  socket.off('data', onHead);
  process.stdout.write(head.subarray(end + 4));
  socket.pipe(process.stdout);
}
socket.on('data', onHead);
socket.on('error', (err) => {
  process.stderr.write(`tunnel failed: ${err.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
