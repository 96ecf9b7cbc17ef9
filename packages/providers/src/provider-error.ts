export type ProviderName = 'digitalocean' | 'aws' | 'hetzner' | 'gcp';

export type ProviderErrorDetails = {
  provider: ProviderName;
  /** What we were doing, e.g. `droplets.create` or `sts:AssumeRole` (never a URL with a query string). */
  operation: string;
  /** True for 429, 5xx, timeouts and network errors: the job may try again later. */
  retryable: boolean;
  status?: number;
  /** The provider's own error code (`not_found`, `forbidden`, `UnauthorizedOperation`, ...). */
  code?: string;
  /** From Retry-After, when the provider sent one. */
  retryAfterSeconds?: number;
  cause?: unknown;
};

/**
 * The one error type of @claw/providers. Its message is built by us from status and code (never from a
 * request) and passes through `redact`, so it cannot carry a token or secret even when a provider echoes one.
 */
export class ProviderError extends Error {
  readonly provider: ProviderName;
  readonly operation: string;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details: ProviderErrorDetails) {
    super(`${details.provider} ${details.operation}: ${message}`, { cause: details.cause });
    this.name = 'ProviderError';
    this.provider = details.provider;
    this.operation = details.operation;
    this.retryable = details.retryable;
    this.status = details.status;
    this.code = details.code;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}

/** RFC 9110 §15.6: 5xx are server faults worth retrying, except 501 (will never work); 429 = slow down. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret in `text`; secrets shorter than 4 characters are not secrets. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join('[redacted]');
  }
  return out;
}
