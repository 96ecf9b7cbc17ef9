/**
 * Every field a log line may carry. The logger drops anything else, so content (chat frames,
 * bodies, headers, cookies, tokens, query strings) cannot reach a log by accident: a caller
 * would have to add a field here, in review. Published at /api/transparency.
 */
export const logFields = [
  'event',
  'requestId',
  'userId',
  'instanceId',
  'connId',
  'method',
  'route',
  'status',
  'ms',
  'direction',
  'bytesIn',
  'bytesOut',
  'messagesIn',
  'messagesOut',
  'closeCode',
  'latencyMs',
  'outcome',
  'errorCode',
  'errorName',
  'errorWhere',
  'count',
  'version',
  'url',
  'path',
  'role',
] as const;

export type LogField = (typeof logFields)[number];
export type LogValue = string | number | boolean | null;
export type LogRecord = { event: string } & Partial<Record<Exclude<LogField, 'event'>, LogValue>>;
