import { WebSocket } from 'ws';
import { createGatewayClient, type GatewayClient } from '@claw/openclaw';
import type { HttpClient } from '@claw/testing';

export type ChatSocket = {
  ws: WebSocket;
  gateway: GatewayClient;
  closed: Promise<{ code: number; at: number }>;
};

/** Opens the chat WebSocket the way the dashboard does: ticket first, then the upgrade with cookie and Origin. */
export async function openChat(
  baseUrl: string,
  client: HttpClient,
  instanceId: string,
  options: { origin?: string | null; ticket?: string | null } = {},
): Promise<ChatSocket> {
  const ticket =
    options.ticket === undefined
      ? (await client.post(`/api/instances/${instanceId}/tickets`)).json.ticket
      : options.ticket;
  const url = new URL(`/api/instances/${instanceId}/gateway`, baseUrl);
  url.protocol = 'ws:';
  if (ticket) url.searchParams.set('ticket', ticket);
  const origin = options.origin === undefined ? new URL(baseUrl).origin : options.origin;
  const ws = new WebSocket(url, {
    headers: { ...(origin ? { origin } : {}), ...(client.cookie ? { cookie: client.cookie } : {}) },
    perMessageDeflate: false,
  });
  const closed = new Promise<{ code: number; at: number }>((resolve) =>
    ws.once('close', (code) => resolve({ code, at: performance.now() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`upgrade refused`), { status: res.statusCode })),
    );
    ws.once('error', reject);
  });
  return { ws, gateway: createGatewayClient(ws as never), closed };
}

/** The HTTP status an upgrade was refused with, or 101 when it was accepted. */
export async function upgradeStatus(...args: Parameters<typeof openChat>): Promise<number> {
  try {
    const chat = await openChat(...args);
    chat.ws.close();
    return 101;
  } catch (error) {
    return (error as { status?: number }).status ?? 0;
  }
}

/** Sends a message and collects the streamed reply until the run's final event. */
export async function chatTurn(gateway: GatewayClient, sessionKey: string, message: string) {
  const deltas: string[] = [];
  let finalText = '';
  const done = new Promise<void>((resolve, reject) => {
    const off = gateway.onChat(sessionKey, (event) => {
      if (event.state === 'delta' && event.deltaText) deltas.push(event.deltaText);
      if (event.state === 'final') {
        finalText = (event.message?.content ?? []).map((part) => part.text ?? '').join('');
        off();
        resolve();
      }
      if (event.state === 'error') {
        off();
        reject(new Error(`chat error: ${event.errorMessage ?? ''}`));
      }
    });
  });
  await gateway.send(sessionKey, message, crypto.randomUUID());
  await done;
  return { deltas, finalText };
}
