// The one fetch wrapper of the REST providers (DigitalOcean, Hetzner, OAuth token endpoints): base URL and
// fetch are injected (tests point them at loopback peers), every request has a timeout, JSON in and out,
// and every non-accepted status becomes a ProviderError whose message carries no secret.
import type { ProviderName } from './provider-error.ts';
import { isRetryableStatus, ProviderError, redact } from './provider-error.ts';

export type HttpDeps = {
  fetch?: typeof fetch;
  /** Per request, default 30 s. */
  timeoutMs?: number;
  /** Milliseconds since the epoch, for HTTP-date Retry-After values. */
  now?: () => number;
};

export type ProviderErrorBody = { code?: string; message?: string };

export type HttpOptions = HttpDeps & {
  provider: ProviderName;
  baseUrl: string;
  headers?: Record<string, string>;
  /** Values that must never appear in an error message (the token, a client secret...). */
  secrets?: readonly string[];
  /** Reads the provider's error code and message out of an error body. */
  parseError?: (body: unknown) => ProviderErrorBody;
};

export type Query = Record<string, string | number | boolean | undefined>;

export type HttpRequest = {
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (OAuth token requests, RFC 6749 §4.1.3). */
  form?: Record<string, string>;
  /** Non-2xx statuses returned to the caller instead of thrown (verification reads 401/403 itself). */
  accept?: readonly number[];
};

export type HttpResponse<T = unknown> = { status: number; body: T; headers: Headers };

export type Http = { request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> };

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_PROVIDER_MESSAGE = 200;

export function createHttp(options: HttpOptions): Http {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const secrets = options.secrets ?? [];
  const parseError = options.parseError ?? (() => ({}));
  const base = options.baseUrl.replace(/\/+$/, '');

  return {
    async request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
      const fail = (
        message: string,
        extra: Omit<ConstructorParameters<typeof ProviderError>[1], 'provider' | 'operation'>,
      ) =>
        new ProviderError(redact(message, secrets), {
          provider: options.provider,
          operation: req.operation,
          ...extra,
        });

      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      let body: string | undefined;
      if (req.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(req.json);
      } else if (req.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(req.form).toString();
      }

      let res: Response;
      try {
        res = await doFetch(base + req.path + queryString(req.query), {
          method: req.method,
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        // Network faults carry no provider data; keep the cause for the log, the message stays generic.
        throw fail(timedOut ? `no answer within ${timeoutMs} ms` : 'network error', {
          retryable: true,
          cause: err,
        });
      }

      const text = await res.text();
      const parsed = parseJson(text);
      if (res.ok || req.accept?.includes(res.status)) {
        if (parsed === INVALID && text !== '') {
          throw fail(`HTTP ${res.status} with a body that is not JSON`, {
            retryable: false,
            status: res.status,
          });
        }
        return {
          status: res.status,
          body: (parsed === INVALID ? undefined : parsed) as T,
          headers: res.headers,
        };
      }

      const { code, message }: ProviderErrorBody = parsed === INVALID ? {} : parseError(parsed);
      const detail = message ? `: ${message.slice(0, MAX_PROVIDER_MESSAGE)}` : '';
      throw fail(`HTTP ${res.status}${code ? ` ${code}` : ''}${detail}`, {
        retryable: isRetryableStatus(res.status),
        status: res.status,
        code,
        retryAfterSeconds: parseRetryAfter(res.headers.get('retry-after'), now()),
      });
    },
  };
}

const INVALID = Symbol('invalid-json');

function parseJson(text: string): unknown {
  if (text === '') return INVALID;
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/**
 * RFC 9110 §10.2.3: Retry-After is either delay-seconds or an HTTP-date. Returns whole seconds from `nowMs`
 * (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}
