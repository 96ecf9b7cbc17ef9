export { createLogger, createMemoryLogger, describeError, type Logger } from './logger.ts';
export { logFields, type LogField, type LogRecord, type LogValue } from './fields.ts';
