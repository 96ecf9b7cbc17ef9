/**
 * OpenClaw gateway protocol v4 frames (verified against openclaw@2026.9.6; see
 * ../shared/peers/openclaw/NOTES.md §3). JSON text frames only.
 */
export type RequestFrame = { type: 'req'; id: string; method: string; params: unknown };
export type ResponseFrame = {
  type: 'res';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: { code: string; message: string; details?: { code?: string } & Record<string, unknown> };
};
export type EventFrame = { type: 'event'; event: string; payload?: unknown; seq?: number };
export type Frame = ResponseFrame | EventFrame;

export const PROTOCOL_VERSION = 4;

/** A `chat` event's payload (NOTES §3.5). */
export type ChatEvent = {
  runId: string;
  sessionKey: string;
  seq: number;
  state: 'status' | 'delta' | 'final' | 'aborted' | 'error';
  phase?: string;
  deltaText?: string;
  replace?: boolean;
  message?: { role: string; content: { type: string; text?: string }[] };
  errorMessage?: string;
  /** On errors from the model call; `failoverReason: "auth"` means the provider refused the key. */
  errorDetail?: { provider?: string; model?: string; failoverReason?: string };
  stopReason?: string;
};

export type HistoryMessage = {
  role: 'user' | 'assistant' | string;
  content: string | { type: string; text?: string }[];
  timestamp?: number;
};

export type HelloOk = {
  type: 'hello-ok';
  protocol: number;
  server: { version: string };
  snapshot?: { sessionDefaults?: { mainSessionKey?: string; modelConfigured?: boolean } };
  auth?: { scopes?: string[] };
};

export function parseFrame(data: string): Frame | null {
  try {
    const value = JSON.parse(data) as { type?: unknown };
    return value && (value.type === 'res' || value.type === 'event') ? (value as Frame) : null;
  } catch {
    return null;
  }
}

/** The plain text of a message's content, whichever form it takes. */
export function textOf(content: HistoryMessage['content'] | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}
