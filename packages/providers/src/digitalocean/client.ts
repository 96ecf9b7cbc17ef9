// The DigitalOcean API client: bearer token, JSON, and only the operations in `digitalOceanOperations`.
// Provisioning adds typed helpers here on top of `call`.
import type { HttpDeps, ProviderErrorBody } from '../http.ts';
import { createHttp } from '../http.ts';
import { createOperationCaller } from '../operations.ts';
import type { VerifiedAccount } from '../verify-result.ts';
import { digitalOceanOperations } from './permissions.ts';

export const DIGITALOCEAN_API_URL = 'https://api.digitalocean.com';

export type DigitalOceanClientOptions = HttpDeps & {
  /** A personal access token or an OAuth access token: a secret, decrypted by the caller just for this client. */
  token: string;
  /** `DIGITALOCEAN_API_URL` in production; tests pass a loopback Prism. Paths carry their /v2 prefix. */
  baseUrl: string;
};

type AccountBody = { account?: { uuid?: string; email?: string; name?: string; team?: { name?: string } } };

/** DigitalOcean error bodies are `{ id, message, request_id }` (spec: shared/models/error.yml). */
export function parseDigitalOceanError(body: unknown): ProviderErrorBody {
  const b = body as { id?: unknown; message?: unknown } | null;
  return {
    code: typeof b?.id === 'string' ? b.id : undefined,
    message: typeof b?.message === 'string' ? b.message : undefined,
  };
}

export function createDigitalOceanClient(options: DigitalOceanClientOptions) {
  const http = createHttp({
    ...options,
    provider: 'digitalocean',
    headers: { authorization: `Bearer ${options.token}` },
    secrets: [options.token],
    parseError: parseDigitalOceanError,
  });
  const call = createOperationCaller(http, digitalOceanOperations);
  return { call };
}

export type DigitalOceanClient = ReturnType<typeof createDigitalOceanClient>;

/** The account fields we show the user; the team name wins because a token belongs to a team. */
export function accountFromBody(body: unknown): VerifiedAccount {
  const account = (body as AccountBody | undefined)?.account;
  return {
    id: account?.uuid,
    email: account?.email,
    name: account?.team?.name ?? account?.name,
  };
}
