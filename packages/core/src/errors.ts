/**
 * The one error type of the platform. Routes throw it; one handler turns it into
 * `{ error: { code, message, requestId } }` with the status from `httpStatusOf`.
 */
export const errorStatus = {
  'request.malformed_json': 400,
  'request.invalid': 400,
  'request.unsupported_media_type': 415,
  'request.too_large': 413,
  'auth.required': 401,
  'auth.invalid_credentials': 401,
  'auth.throttled': 429,
  'auth.email_taken': 409,
  'csrf.rejected': 403,
  'auth.reauthentication_required': 401,
  not_found: 404,
  'instance.fingerprint_invalid': 400,
  'instance.fingerprint_mismatch': 400,
  'instance.url_invalid': 400,
  'instance.registration_refused': 400,
  'instance.limit_reached': 403,
  'instance.agent_unreachable': 502,
  'instance.agent_untrusted': 502,
  'support.unavailable': 503,
  'support.not_enabled': 409,
  'support.grant_active': 409,
  'support.failed': 502,
  'credential.locked': 423,
  'credential.unavailable': 400,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** The request field at fault, for validation errors (never its value). */
  readonly field: string | undefined;
  /** Seconds a client should wait before retrying (429). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return errorStatus[code];
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
