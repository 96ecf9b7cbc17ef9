// Turns the instance's support log into what a person reads: one block per session (who, from where, the
// command lines as typed, the terminal output), and grant events between them.
import type { SupportLogEntry } from '../api.ts';

export type SessionView = {
  id: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  keyId: string | null;
  client: string | null;
  command: string | null;
  /** The keystrokes, as typed, split into lines. */
  typed: string[];
  /** The terminal output, without colour and cursor codes. */
  output: string;
  truncated: boolean;
};

export type LogItem = { kind: 'event'; entry: SupportLogEntry } | { kind: 'session'; session: SessionView };

// CSI and OSC sequences (colours, cursor moves, window titles) and other C0 controls except newline and tab.
const TERMINAL_CODES =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]/g;

export function plainText(terminal: string): string {
  return terminal.replace(/\r\n?/g, '\n').replace(TERMINAL_CODES, '');
}

/** Keystrokes into lines: Enter ends a line, backspace removes the character before it. */
export function typedLines(keys: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const char of keys) {
    if (char === '\r' || char === '\n') {
      lines.push(line);
      line = '';
    } else if (char === '\x7f' || char === '\b') {
      line = line.slice(0, -1);
    } else if (char >= ' ' || char === '\t') {
      line += char;
    }
  }
  if (line) lines.push(line);
  return lines;
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);

export function groupLog(entries: SupportLogEntry[]): LogItem[] {
  const items: LogItem[] = [];
  const sessions = new Map<string, SessionView & { keys: string }>();
  for (const entry of entries) {
    const sessionId = text(entry.sessionId);
    if (entry.type === 'session.start' && sessionId) {
      const session = {
        id: sessionId,
        startedAt: entry.ts,
        endedAt: null,
        endReason: null,
        keyId: text(entry.certificateKeyId),
        client: text(entry.client),
        command: text(entry.command),
        typed: [],
        output: '',
        truncated: false,
        keys: '',
      };
      sessions.set(sessionId, session);
      items.push({ kind: 'session', session });
      continue;
    }
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (!session) {
      if (entry.type.startsWith('grant.')) items.push({ kind: 'event', entry });
      continue;
    }
    if (entry.type === 'input') session.keys += text(entry.text) ?? '';
    else if (entry.type === 'output') session.output += text(entry.text) ?? '';
    else if (entry.type === 'transcript.truncated') session.truncated = true;
    else if (entry.type === 'session.end') {
      session.endedAt = entry.ts;
      session.endReason = text(entry.reason);
    }
  }
  for (const session of sessions.values()) {
    session.typed = typedLines(session.keys);
    session.output = plainText(session.output);
  }
  return items;
}

/**
 * The head a reader saw last must still be in the chain: the chain alone cannot show a log that root rewrote
 * entirely or cut short. Returns false when the remembered entry is gone or differs.
 */
export function headStillThere(
  entries: SupportLogEntry[],
  remembered: { seq: number; hash: string } | null,
): boolean {
  if (!remembered) return true;
  return entries.find((entry) => entry.seq === remembered.seq)?.hash === remembered.hash;
}

/**
 * Adds a page read from the last known entry on (so that entry comes back first). When it does not come back
 * unchanged, the log was rewritten or cut since it was read: the caller reads it again from the start.
 */
export function appendPage(
  known: SupportLogEntry[],
  page: SupportLogEntry[],
): { entries: SupportLogEntry[]; rewritten: boolean } {
  const last = known.at(-1);
  if (!last) return { entries: page, rewritten: false };
  if (page[0]?.seq !== last.seq || page[0].hash !== last.hash) return { entries: known, rewritten: true };
  return { entries: [...known, ...page.slice(1)], rewritten: false };
}

/** `hh:mm:ss` until the end (or `0:00:00` once it has passed). */
export function countdown(untilMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.ceil((untilMs - nowMs) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}
