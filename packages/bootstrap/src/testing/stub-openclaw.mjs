// Boot-test stand-in for the OpenClaw gateway (the real one needs ~1 GB and a network install). It answers
// the two probes the agent reads (/readyz, /startupz) on the loopback port it is given, and refuses to start
// without the token, which proves the unit handed it over.
import http from 'node:http';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
if (args[0] !== 'gateway' || args[1] !== 'run' || !args.includes('loopback')) process.exit(64);
if (!/^[A-Za-z0-9_-]{43}$/.test(process.env.OPENCLAW_GATEWAY_TOKEN ?? '')) process.exit(78);

http
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/readyz') return res.end('{"ready":true}');
    if (req.url === '/startupz') return res.end('{"version":"2026.9.6"}');
    res.statusCode = 404;
    res.end('{}');
  })
  .listen(port, '127.0.0.1');
