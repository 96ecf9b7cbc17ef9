// Faults in front of moto, which has none of its own: a loopback pass-through that answers a chosen EC2
// action with an error instead of forwarding it, or forwards it and cuts the connection before the answer
// (the instance IS created). Errors are shaped as EC2's Query API sends them (EC2 API Reference, "Error
// codes"): throttling is 503 RequestLimitExceeded, without Retry-After.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type Fault } from './fake-server.ts';

export type AwsFaultProxy = {
  url: string;
  /**
   * Queues a fault for the next requests of this action (`RunInstances`, never its DryRun); faults apply in
   * the order injected.
   */
  inject(action: string, fault: Fault): void;
  /** When each request of this action arrived (ms since the epoch), faulted ones included, DryRuns not. */
  arrivals(action: string): number[];
  /** The parameters of each request of this action, in order: what our code sent, and nothing a test planted. */
  sent(action: string): Array<Record<string, string>>;
  stop(): Promise<void>;
};

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>00000000-0000-4000-8000-000000000000</RequestID></Response>`;

export async function startAwsFaultProxy(upstream: string): Promise<AwsFaultProxy> {
  const faults = createFaultQueue();
  const seen: Array<{ action: string; at: number; params: Record<string, string> }> = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(body.toString('utf8'));
      // A DryRun only checks permissions (the connection's verification) and makes nothing: it is logged
      // under its own name, so it is neither counted nor faulted as the action itself.
      const action = `${params.get('Action') ?? ''}${params.get('DryRun') === 'true' ? ' (DryRun)' : ''}`;
      seen.push({ action, at: Date.now(), params: Object.fromEntries(params) });
      const fault = faults.take(action);
      if (fault?.kind === 'status') {
        const [code, message] =
          fault.status === 429
            ? ['RequestLimitExceeded', 'Request limit exceeded.']
            : ['InternalError', 'An internal error has occurred.'];
        res.writeHead(fault.status === 429 ? 503 : fault.status, { 'content-type': 'text/xml' });
        res.end(errorXml(code, message));
        return;
      }
      forward(req, body)
        .then((answer) => {
          if (fault?.kind === 'lose-response') {
            res.socket?.destroy();
            return;
          }
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body);
        })
        .catch(() => res.socket?.destroy());
    });
  });

  async function forward(req: http.IncomingMessage, body: Buffer) {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers.set(name, value);
    }
    const answer = await fetch(new URL(req.url ?? '/', upstream), {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'content-encoding') {
        out[name] = value;
      }
    });
    return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inject(action, fault) {
      faults.add(action, fault);
    },
    arrivals: (action) => seen.filter((s) => s.action === action).map((s) => s.at),
    sent: (action) => seen.filter((s) => s.action === action).map((s) => ({ ...s.params })),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
