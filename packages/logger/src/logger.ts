import { pino, type DestinationStream } from 'pino';
import { logFields, type LogRecord, type LogValue } from './fields.ts';

export type Logger = {
  info(record: LogRecord): void;
  warn(record: LogRecord): void;
  error(record: LogRecord): void;
};

const allowed = new Set<string>(logFields);
// A value longer than this is not metadata; cut it rather than trust it.
const maxValueLength = 200;

function keepAllowed(record: Record<string, unknown>): Record<string, LogValue> {
  const kept: Record<string, LogValue> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!allowed.has(key)) continue;
    if (typeof value === 'string') kept[key] = value.slice(0, maxValueLength);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) kept[key] = value;
  }
  return kept;
}

/** Structured JSON lines (to stdout unless a destination is given), allowlisted fields only. */
export function createLogger(options: { destination?: DestinationStream; level?: string } = {}): Logger {
  const base = pino(
    {
      level: options.level ?? 'info',
      base: null,
      messageKey: 'event',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return {
    info: (record) => base.info(keepAllowed(record)),
    warn: (record) => base.warn(keepAllowed(record)),
    error: (record) => base.error(keepAllowed(record)),
  };
}

/**
 * Describes an unexpected error without its message: messages can quote input
 * (JSON.parse does), so only the name, a code and the first stack frame are logged.
 */
export function describeError(error: unknown): {
  errorName: string;
  errorCode: string | null;
  errorWhere: string | null;
} {
  if (!(error instanceof Error)) return { errorName: typeof error, errorCode: null, errorWhere: null };
  const code = (error as { code?: unknown }).code;
  const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  return {
    errorName: error.name,
    errorCode: typeof code === 'string' || typeof code === 'number' ? String(code) : null,
    errorWhere: frame?.trim().slice(3) ?? null,
  };
}

/** A logger that collects lines in memory, for tests that assert what was (not) logged. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
  return Object.assign(logger, { lines });
}
