// Test clients for the agent: an HTTPS request helper and a WebSocket client that speaks just enough of the
// OpenClaw protocol v4 (NOTES §3) to connect, chat and read history through the agent. Both pin the agent.
import crypto from 'node:crypto';
import https from 'node:https';
import WebSocket from 'ws';
import type { PinnedTlsOptions } from './pinned-tls.ts';

export type Frame = {
  type: string;
  id?: string;
  ok?: boolean;
  event?: string;
  payload?: Record<string, unknown>;
  error?: { code?: string; message?: string };
};

export type HttpsResult = { status: number; body: string; chunks: number };

export function httpsRequest(
  url: string,
  tls: PinnedTlsOptions,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...tls, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      let chunks = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        chunks += 1;
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, chunks }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The `data:` payloads of an SSE body. */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((event) =>
      event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter(Boolean);
}

export type GatewayConnection = {
  ws: WebSocket;
  /** Every frame received, in order. */
  frames: Frame[];
  /** Resolves with the first frame (already received or future) matching `match`. */
  waitFor(match: (frame: Frame) => boolean): Promise<Frame>;
  request(method: string, params: unknown): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
};

export function openGatewayConnection(
  agentUrl: string,
  tls: PinnedTlsOptions,
  headers: Record<string, string>,
): Promise<GatewayConnection> {
  const ws = new WebSocket(`${agentUrl.replace(/^https/, 'wss')}/gateway`, {
    ...tls,
    headers,
    perMessageDeflate: false,
  });
  const frames: Frame[] = [];
  const waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Frame;
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.match(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  const waitFor = (match: (frame: Frame) => boolean) =>
    new Promise<Frame>((resolve, reject) => {
      const seen = frames.find(match);
      if (seen) return resolve(seen);
      waiters.push({ match, resolve });
      void closed.then(({ code }) => reject(new Error(`socket closed (${code}) while waiting for a frame`)));
    });
  let nextId = 1;
  const request = (method: string, params: unknown) => {
    const id = `r${nextId++}`;
    ws.send(JSON.stringify({ type: 'req', id, method, params }));
    return waitFor((frame) => frame.type === 'res' && frame.id === id);
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, waitFor, request, closed }));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

/** The connect request of a backend operator client; it carries no gateway token (the agent injects it). */
export function connectParams(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'gateway-client', version: '0.1.0', platform: 'linux', mode: 'backend' },
    role: 'operator',
    scopes: ['operator.read', 'operator.write'],
    caps: [],
    ...extra,
  };
}

export const newKey = () => crypto.randomUUID();
