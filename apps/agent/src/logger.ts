// Structured JSON log lines with an allowlist of metadata fields. Frames, bodies, headers, tokens and
// credentials have no field to go into: anything not listed here is dropped before a line is written.
export type LogEntry = {
  event: string;
  connId?: string;
  bytesIn?: number;
  bytesOut?: number;
  messagesIn?: number;
  messagesOut?: number;
  closeCode?: number;
  ms?: number;
  status?: number;
  errorCode?: string;
  port?: number;
  fingerprint?: string;
  /** A support grant (uuid); never its principal, CA key or anything a session shows. */
  grantId?: string;
  count?: number;
  /** Why something ended, as a fixed word (e.g. a support tunnel: `sshd_closed`, `grant_ended`). */
  reason?: string;
};

export type Log = (entry: LogEntry) => void;

const NUMBER_FIELDS = [
  'bytesIn',
  'bytesOut',
  'messagesIn',
  'messagesOut',
  'closeCode',
  'ms',
  'status',
  'port',
  'count',
] as const;
// Strings are restricted to identifier shapes, so even a misused field cannot carry free text.
const STRING_FIELDS = {
  event: /^[a-z][a-z0-9_.]{0,63}$/,
  connId: /^[A-Za-z0-9_-]{1,64}$/,
  errorCode: /^[A-Za-z0-9_.-]{1,64}$/,
  fingerprint: /^[0-9A-F:]{95}$/,
  grantId: /^[0-9a-f-]{36}$/,
  reason: /^[a-z_]{1,32}$/,
} as const;

export function createLogger(write: (line: string) => void, now: () => number = Date.now): Log {
  return (entry) => {
    const line: Record<string, string | number> = { ts: new Date(now()).toISOString() };
    for (const [key, shape] of Object.entries(STRING_FIELDS)) {
      const value = (entry as Record<string, unknown>)[key];
      if (typeof value === 'string') line[key] = shape.test(value) ? value : 'redacted';
    }
    for (const key of NUMBER_FIELDS) {
      const value = entry[key];
      if (typeof value === 'number' && Number.isFinite(value)) line[key] = value;
    }
    write(`${JSON.stringify(line)}\n`);
  };
}

/** A log-safe code for an error: its `code` when it has an identifier shape, else its class name. */
export function errorCodeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && STRING_FIELDS.errorCode.test(code)) return code;
  return err instanceof Error ? err.name : 'unknown';
}
