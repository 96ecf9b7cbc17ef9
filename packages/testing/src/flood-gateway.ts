import { WebSocketServer, type WebSocket } from 'ws';

export type FloodGateway = {
  url: string;
  /** Bytes the gateway managed to hand to its socket, per connection, newest last. */
  sent(): number[];
  close(): Promise<void>;
};

/**
 * A stand-in for the gateway's far end when a test needs more traffic than a real assistant
 * produces: it answers the v4 handshake, then on a `flood` request streams `total` bytes of events
 * as fast as its own socket drains (never queuing more than 1 MiB itself), so that how much it
 * managed to send shows whether backpressure reached it through the whole pipe.
 */
export async function startFloodGateway(): Promise<FloodGateway> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const totals: number[] = [];

  wss.on('connection', (ws: WebSocket) => {
    const index = totals.push(0) - 1;
    ws.send(
      JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }),
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        id: string;
        method: string;
        params?: { total?: number; size?: number };
      };
      if (frame.method === 'connect') {
        ws.send(
          JSON.stringify({
            type: 'res',
            id: frame.id,
            ok: true,
            payload: { type: 'hello-ok', protocol: 4, server: { version: 'flood' } },
          }),
        );
        return;
      }
      if (frame.method !== 'flood') return;
      const size = frame.params?.size ?? 64 * 1024;
      const total = frame.params?.total ?? 16 * 1024 * 1024;
      const chunk = JSON.stringify({ type: 'event', event: 'flood', payload: 'x'.repeat(size) });
      const deadline = Date.now() + 60_000;
      const pump = () => {
        while ((totals[index] ?? 0) < total && ws.readyState === ws.OPEN && ws.bufferedAmount < 1024 * 1024) {
          ws.send(chunk);
          totals[index] = (totals[index] ?? 0) + chunk.length;
        }
        if ((totals[index] ?? 0) < total && ws.readyState === ws.OPEN && Date.now() < deadline)
          setTimeout(pump, 5);
      };
      pump();
    });
  });

  const { port } = wss.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => [...totals],
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
