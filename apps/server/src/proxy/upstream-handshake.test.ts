// The upgrade towards the agent, against a TLS stand-in that answers what each case needs.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateCertificate } from '../../../agent/src/certificate.ts';
import { pinnedTls } from '../instances/agent-tls.ts';
import { acceptFor } from './handshake-keys.ts';
import { openUpstream } from './upstream-handshake.ts';

type Answer = (key: string) => string;
let answer: Answer = () => '';
const requests: string[] = [];
let certificate: Awaited<ReturnType<typeof loadOrCreateCertificate>>;
let server: ReturnType<typeof createServer>;
let url: URL;

before(async () => {
  certificate = await loadOrCreateCertificate(await mkdtemp(join(tmpdir(), 'claw-upstream-')));
  server = createServer({ cert: certificate.certPem, key: certificate.keyPem }, (socket: TLSSocket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head);
      const key = /sec-websocket-key: (\S+)/i.exec(head)?.[1] ?? '';
      socket.write(answer(key), 'latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`https://127.0.0.1:${(server.address() as { port: number }).port}/gateway`);
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const upgraded = (key: string, extra = '') =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n${extra}\r\n`;

function open() {
  const upstream = openUpstream(
    url,
    pinnedTls(certificate.certPem, certificate.fingerprint),
    'the-credential',
  );
  return upstream.opened.finally(() => upstream.socket.destroy());
}

describe('upgrade towards the agent', () => {
  test('sends the credential and a fresh key; a correct 101 opens, with the bytes behind it', async () => {
    answer = (key) => `${upgraded(key)}\x81\x02hi`;
    const rest = await open();
    assert.deepEqual([...rest], [0x81, 0x02, 0x68, 0x69]);
    const request = requests.at(-1) ?? '';
    assert.match(request, /^GET \/gateway HTTP\/1\.1\r\n/);
    assert.match(request, /\r\nAuthorization: Bearer the-credential\r\n/);
    assert.match(request, /\r\nSec-WebSocket-Version: 13\r\n/);
    assert.doesNotMatch(request, /Sec-WebSocket-Extensions|Origin/i);
  });

  test('refused: another status, a wrong accept, an extension or a subprotocol', async () => {
    for (const [name, make] of [
      ['401', () => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'],
      ['wrong accept', () => upgraded('AAAAAAAAAAAAAAAAAAAAAA==')],
      ['extension', (key: string) => upgraded(key, 'Sec-WebSocket-Extensions: permessage-deflate\r\n')],
      ['subprotocol', (key: string) => upgraded(key, 'Sec-WebSocket-Protocol: chat\r\n')],
    ] as const) {
      answer = make;
      await assert.rejects(open(), /instance|Sec-WebSocket/i, name);
    }
  });

  test('another certificate: refused before anything, the credential above all, is sent', async () => {
    const other = await loadOrCreateCertificate(await mkdtemp(join(tmpdir(), 'claw-upstream-other-')));
    const seen = requests.length;
    const upstream = openUpstream(url, pinnedTls(other.certPem, other.fingerprint), 'the-credential');
    await assert.rejects(upstream.opened);
    // Same root but another fingerprint: the pin is checked too.
    const pinnedElsewhere = openUpstream(
      url,
      pinnedTls(certificate.certPem, other.fingerprint),
      'the-credential',
    );
    await assert.rejects(pinnedElsewhere.opened, /certificate/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(requests.length, seen, 'no request reached the server');
  });
});
