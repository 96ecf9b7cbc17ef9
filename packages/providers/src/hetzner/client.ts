// The Hetzner Cloud API client: bearer project token, JSON, and only the operations in `hetznerOperations`.
import type { HttpDeps, ProviderErrorBody } from '../http.ts';
import { createHttp } from '../http.ts';
import { createOperationCaller } from '../operations.ts';
import { hetznerOperations } from './permissions.ts';

export const HETZNER_API_URL = 'https://api.hetzner.cloud/v1';

export type HetznerClientOptions = HttpDeps & {
  /** The project API token: a secret, decrypted by the caller just for this client. */
  token: string;
  /** `HETZNER_API_URL` in production (paths have no /v1); tests pass a loopback Prism. */
  baseUrl: string;
};

/** Hetzner error bodies are `{ error: { code, message, details } }` (spec: components.schemas.error). */
export function parseHetznerError(body: unknown): ProviderErrorBody {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' ? error.message : undefined,
  };
}

export function createHetznerClient(options: HetznerClientOptions) {
  const http = createHttp({
    ...options,
    provider: 'hetzner',
    headers: { authorization: `Bearer ${options.token}` },
    secrets: [options.token],
    parseError: parseHetznerError,
  });
  return { call: createOperationCaller(http, hetznerOperations) };
}

export type HetznerClient = ReturnType<typeof createHetznerClient>;
