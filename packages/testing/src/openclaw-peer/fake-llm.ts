// A fake OpenAI-compatible Chat Completions server that OpenClaw can use as its model provider.
// It answers `ECHO: <typed text>`, streamed one word per SSE chunk, so tests can assert an exact reply.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeLlmOptions = {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <requiredApiKey>`; others get 401. */
  requiredApiKey?: string;
  /** Pause between streamed words; 250 ms makes OpenClaw emit one WS delta per word (it paces at 75 ms). */
  delayMs?: number;
  /** Append one JSON line per request here, so a process outside the peer's namespace can read them. */
  logFile?: string;
};

export type FakeLlmRequest = {
  ts: number;
  method: string;
  path: string;
  auth: 'ok' | 'missing' | 'rejected';
  model?: string;
  stream?: boolean;
  /** What the user typed, with OpenClaw's wrappers removed. */
  userText?: string;
};

export type FakeLlm = {
  url: string;
  requests(): FakeLlmRequest[];
  close(): Promise<void>;
};

type ChatMessage = { role?: unknown; content?: unknown };
type ChatBody = {
  model?: unknown;
  stream?: unknown;
  messages?: unknown;
  stream_options?: { include_usage?: unknown };
};

const MODEL_ID = 'echo-1';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { text?: unknown } => typeof part === 'object' && part !== null)
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .join('');
}

// OpenClaw sends "[Sun 2026-11-29 14:52 UTC] <typed>\n\nRuntime: …" plus an internal-context message.
// Echoing those wrappers makes the gateway strip them and break its /v1 SSE stream (NOTES §2).
const INTERNAL_CONTEXT =
  /<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>[\s\S]*?(<<<END_OPENCLAW_INTERNAL_CONTEXT>>>|$)/g;
const TIMESTAMP_PREFIX = /^\s*\[[^\]\n]{3,80}\]\s+/;
const RUNTIME_SUFFIX = /\n\s*\nRuntime: /;

export function typedText(raw: string): string {
  let text = raw.replace(INTERNAL_CONTEXT, '').replace(TIMESTAMP_PREFIX, '');
  const runtime = text.search(RUNTIME_SUFFIX);
  if (runtime >= 0) text = text.slice(0, runtime);
  return text.trim();
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (const message of [...(messages as ChatMessage[])].reverse()) {
    if (message?.role !== 'user') continue;
    const text = typedText(textOf(message.content));
    if (text) return text;
  }
  return '';
}

async function readJson(req: http.IncomingMessage): Promise<ChatBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('fake-llm: request body too large');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? (JSON.parse(raw) as ChatBody) : {};
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function authOf(req: http.IncomingMessage, requiredApiKey: string | undefined): FakeLlmRequest['auth'] {
  const header = req.headers.authorization;
  if (!header) return requiredApiKey === undefined ? 'ok' : 'missing';
  if (requiredApiKey === undefined) return 'ok';
  return header === `Bearer ${requiredApiKey}` ? 'ok' : 'rejected';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const host = options.host ?? '127.0.0.1';
  const delayMs = options.delayMs ?? 20;
  const log: FakeLlmRequest[] = [];
  const record = (entry: FakeLlmRequest) => {
    log.push(entry);
    if (options.logFile) fs.appendFileSync(options.logFile, `${JSON.stringify(entry)}\n`);
  };

  async function streamReply(res: http.ServerResponse, body: ChatBody, reply: string): Promise<void> {
    const id = `chatcmpl-fake-${log.length}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === 'string' ? body.model : MODEL_ID;
    const words = reply.match(/\S+\s*|\s+/g) ?? [reply];
    const usage = { prompt_tokens: 1, completion_tokens: words.length, total_tokens: 1 + words.length };
    const chunk = (delta: object, finishReason: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
    if (body.stream !== true) {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage,
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (data: object) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    send(chunk({ role: 'assistant', content: '' }));
    for (const word of words) {
      await sleep(delayMs);
      send(chunk({ content: word }));
    }
    send(chunk({}, 'stop'));
    if (body.stream_options?.include_usage === true) {
      send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
    res.end('data: [DONE]\n\n');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake-llm').pathname;
    const method = req.method ?? 'GET';
    const auth = authOf(req, options.requiredApiKey);
    if (auth !== 'ok') {
      record({ ts: Date.now(), method, path, auth });
      // OpenAI's shape for a bad key, so clients take their normal auth-failure path.
      sendJson(res, 401, {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
      return;
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) {
      record({ ts: Date.now(), method, path, auth });
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: MODEL_ID, object: 'model', created: 0, owned_by: 'fake' }],
      });
      return;
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) {
      const body = await readJson(req);
      const userText = lastUserText(body.messages);
      record({
        ts: Date.now(),
        method,
        path,
        auth,
        model: typeof body.model === 'string' ? body.model : undefined,
        stream: body.stream === true,
        userText,
      });
      // "[[fail400]]" fails fast; a 500 would make OpenClaw retry for about 70 s (NOTES §2).
      if (userText.includes('[[fail400]]')) {
        sendJson(res, 400, {
          error: { message: 'fake-llm forced bad request', type: 'invalid_request_error' },
        });
        return;
      }
      await streamReply(res, body, `ECHO: ${userText}`);
      return;
    }
    record({ ts: Date.now(), method, path, auth });
    sendJson(res, 404, { error: { message: 'fake-llm: no such route', type: 'not_found' } });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
      else res.destroy();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${port}/v1`,
        requests: () => [...log],
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
