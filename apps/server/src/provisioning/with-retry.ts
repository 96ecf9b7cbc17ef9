import { isProviderError } from '@claw/providers';

export type RetryPolicy = { attempts: number; baseDelayMs: number; maxDelayMs: number };

export const defaultRetry: RetryPolicy = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/**
 * Calls a provider, retrying only what the provider says is worth retrying (429, 5xx, network), at most
 * `attempts` times, waiting `Retry-After` when given and full-jitter exponential backoff otherwise.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: { policy?: RetryPolicy; sleep?: (ms: number) => Promise<void>; random?: () => number } = {},
): Promise<T> {
  const policy = options.policy ?? defaultRetry;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isProviderError(error) || !error.retryable || attempt >= policy.attempts) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(
        error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : random() * backoff,
      );
    }
  }
}
