import {
  parseFrame,
  PROTOCOL_VERSION,
  type ChatEvent,
  type EventFrame,
  type HelloOk,
  type HistoryMessage,
  type ResponseFrame,
} from './frames.ts';

/** The part of the WebSocket API we use: the browser's, or `ws` in Node. */
export type SocketLike = {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void;
};

export class GatewayError extends Error {
  readonly code: string;
  readonly detailCode: string | undefined;
  constructor(code: string, message: string, detailCode?: string) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.detailCode = detailCode;
  }
}

export type GatewayClientOptions = {
  clientVersion?: string;
  displayName?: string;
  /** Milliseconds to wait for a response before failing the request. */
  requestTimeoutMs?: number;
  /**
   * Operator scopes to ask for; the default, read + write, is what chat needs. A token connection through the
   * agent (loopback) is granted what it asks for (NOTES §3.2). Model settings need more: MODEL_SETTINGS_SCOPES.
   */
  scopes?: readonly OperatorScope[];
};

export type OperatorScope = 'operator.read' | 'operator.write' | 'operator.admin';

type Pending = {
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

/**
 * A thin client for the OpenClaw gateway protocol, safe for browsers: it answers the
 * connect.challenge, correlates requests with responses and hands events to listeners. It holds
 * no credentials; in Claw Cloud the instance's agent adds the gateway token on the server.
 */
export function createGatewayClient(socket: SocketLike, options: GatewayClientOptions = {}) {
  const pending = new Map<string, Pending>();
  const listeners = new Set<(event: EventFrame) => void>();
  const closeListeners = new Set<(event: { code: number; reason: string }) => void>();
  let nextId = 1;
  let helloResolve: (hello: HelloOk) => void = () => {};
  let helloReject: (error: Error) => void = () => {};
  const hello = new Promise<HelloOk>((resolve, reject) => {
    helloResolve = resolve;
    helloReject = reject;
  });
  hello.catch(() => {});

  function request<T = unknown>(method: string, params: unknown): Promise<T> {
    const id = `r${nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new GatewayError('TIMEOUT', `${method} timed out`));
      }, options.requestTimeoutMs ?? 30_000);
      pending.set(id, { resolve: resolve as (payload: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  function connect(): void {
    request<HelloOk>('connect', {
      minProtocol: PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      // Allowed ids and modes are a closed list (NOTES §3.1); a token-authenticated loopback backend gets its scopes.
      client: {
        id: 'gateway-client',
        version: options.clientVersion ?? '0.1.0',
        platform: 'web',
        mode: 'backend',
        displayName: options.displayName ?? 'Claw Cloud',
      },
      role: 'operator',
      scopes: options.scopes ?? ['operator.read', 'operator.write'],
      caps: [],
    }).then(helloResolve, helloReject);
  }

  function settle(frame: ResponseFrame): void {
    const waiting = pending.get(frame.id);
    if (!waiting) return;
    pending.delete(frame.id);
    clearTimeout(waiting.timer);
    if (frame.ok) waiting.resolve(frame.payload);
    else
      waiting.reject(
        new GatewayError(
          frame.error?.code ?? 'UNKNOWN',
          frame.error?.message ?? 'request failed',
          frame.error?.details?.code,
        ),
      );
  }

  socket.addEventListener('message', (event: { data: unknown }) => {
    if (typeof event.data !== 'string') return;
    const frame = parseFrame(event.data);
    if (!frame) return;
    if (frame.type === 'res') return settle(frame);
    if (frame.event === 'connect.challenge') return connect();
    for (const listener of listeners) listener(frame);
  });
  socket.addEventListener('close', (event: { code: number; reason: string }) => {
    const error = new GatewayError('CLOSED', `connection closed (${event.code})`);
    helloReject(error);
    for (const [id, waiting] of pending) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
      pending.delete(id);
    }
    for (const listener of closeListeners) listener({ code: event.code, reason: event.reason });
  });

  return {
    /** Resolves once the gateway accepted the connection. */
    hello,
    request,
    onEvent(listener: (event: EventFrame) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Chat events of one session only: the gateway broadcasts every run to every operator socket. */
    onChat(sessionKey: string, listener: (event: ChatEvent) => void): () => void {
      const own = (event: EventFrame) => {
        const payload = event.payload as ChatEvent | undefined;
        if (event.event === 'chat' && payload && sameSession(payload.sessionKey, sessionKey))
          listener(payload);
      };
      listeners.add(own);
      return () => listeners.delete(own);
    },
    onClose(listener: (event: { code: number; reason: string }) => void): () => void {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    async send(sessionKey: string, message: string, idempotencyKey: string): Promise<{ runId: string }> {
      return request('chat.send', { sessionKey, message, idempotencyKey });
    },
    async abort(sessionKey: string, runId: string): Promise<void> {
      await request('chat.abort', { sessionKey, runId });
    },
    async history(sessionKey: string, limit = 50): Promise<HistoryMessage[]> {
      const payload = await request<{ messages?: HistoryMessage[] }>('chat.history', { sessionKey, limit });
      return payload.messages ?? [];
    },
    close(code = 1000): void {
      socket.close(code);
    },
  };
}

/** The gateway canonicalises "main" to "agent:main:main" (NOTES §3.5). */
export function sameSession(eventKey: string, ourKey: string): boolean {
  return eventKey === ourKey || eventKey === `agent:main:${ourKey}`;
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;
