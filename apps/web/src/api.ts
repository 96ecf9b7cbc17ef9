// The dashboard's only door to the control plane: same-origin JSON over fetch, session in an HttpOnly cookie.

export type Plan = 'free' | 'pro' | 'team';

export type User = {
  id: string;
  email: string;
  plan: Plan;
  createdAt: string;
};

export type Credentials = { email: string; password: string };

export type AuditEvent = {
  id: string;
  at: string;
  event: string;
  outcome: string;
  requestId: string;
  client: { ip: string | null; userAgent: string | null };
  /** Until when a support grant holds (support.granted). */
  until: string | null;
};

export type AuditPage = { events: AuditEvent[]; nextCursor: string | null };

export type TransparencyReport = {
  tables: { name: string; columns: { name: string; type: string; nullable: boolean }[] }[];
  logFields: string[];
  statement: string;
};

export type CloudProvider = 'digitalocean' | 'aws' | 'hetzner' | 'gcp';

export type VerificationStatus = 'verified' | 'failed' | 'unverified';

/** A cloud connection as the server describes it: never its secret. */
export type Credential = {
  id: string;
  provider: CloudProvider | string;
  label: string;
  last4: string | null;
  passwordProtected: boolean;
  verification: { status: VerificationStatus; reason: string | null; at: string | null };
  createdAt: string;
  lastUsedAt: string | null;
};

/** What a verification found: `missing` permissions when it failed, `unverified` ones it could not check. */
export type VerificationResult = { credential: Credential; missing?: string[]; unverified?: string[] };

export type AwsSetup =
  | {
      available: true;
      externalId: string;
      principalArn: string;
      trustPolicy: unknown;
      permissionPolicy: unknown;
      cloudFormationTemplate: unknown;
    }
  | { available: false };

export type CredentialSetup = {
  digitalocean: { scopes: string[]; oauth: boolean };
  hetzner: { permission: string };
  aws: AwsSetup;
};

type Protection = { passwordProtected: boolean; password?: string };

export type NewCredential = { label: string } & Protection &
  (
    | { provider: 'digitalocean' | 'hetzner'; token: string }
    | { provider: 'aws'; roleArn: string }
    | { provider: 'gcp'; workloadIdentity: Record<string, string> }
  );

export type Instance = {
  id: string;
  name: string;
  provider: string;
  status: string;
  region: string | null;
  size: string | null;
  agentUrl: string | null;
  agentFingerprint: string | null;
  agentVersion: string | null;
  openclawVersion: string | null;
  /** The monthly price shown at deploy (a snapshot); null for an adopted server. */
  priceMonthly: Price | null;
  createdAt: string;
};

/** A price in the provider's currency; `estimate` when it is ours (a static table), not the provider's. */
export type Price = { amount: number; currency: 'USD' | 'EUR'; estimate: boolean };

export type SupportGrant = {
  id: string;
  principal: string;
  admin: boolean;
  notAfter: string;
  createdAt: string;
  state: 'active' | 'revoked' | 'expired' | 'gone';
  endedAt: string | null;
};

export type SupportState = {
  available: boolean;
  caFingerprint: string | null;
  grant: SupportGrant | null;
  liveSessions: number | null;
};

/** One line of the instance's hash-chained support log (docs/support-access.md), as the agent wrote it. */
export type SupportLogEntry = {
  seq: number;
  ts: string;
  type: string;
  hash: string;
  prev: string;
} & Record<string, unknown>;

export type SupportLogVerification =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: number; reason: string };

export type SupportLog = { entries: SupportLogEntry[]; verification: SupportLogVerification };

export type InstanceHealth = {
  ok: boolean;
  agentVersion: string | null;
  gateway: { ready: boolean; version: string | null };
};

/** A cloud region a connection can deploy to. */
export type Region = { slug: string; name: string; available: boolean };

/** A server size with the price the provider reports (the highest across `regions`), or our estimate. */
export type Size = {
  slug: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  priceMonthly: number;
  priceHourly: number;
  currency: string;
  priceIsEstimate: boolean;
  regions: string[];
};

export type DeployOptions = { regions: Region[]; sizes: Size[] };

export type Deployment = { name: string; credentialId: string; region: string; size: string };

export type InstanceAction = 'stop' | 'start' | 'reboot' | 'destroy';

/** One event of `GET /api/instances/{id}/progress`. */
export type Progress = { status: string; failureReason: string | null };

export type Adoption = { name: string; agentUrl: string; fingerprint: string; registrationCode: string };

type ApiErrorInit = {
  status: number;
  code: string;
  message: string;
  field?: string | undefined;
  requestId?: string | undefined;
  retryAfterSeconds?: number | undefined;
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.field = init.field;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** Anything a form or page catches becomes an ApiError, so the UI has one shape of error to render. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    status: 0,
    code: 'client.unexpected',
    message: 'Something went wrong. Please try again.',
  });
}

type ApiOptions = {
  fetch?: typeof globalThis.fetch;
  /** Called when the server says the session is gone (expired, ended elsewhere, account deleted). */
  onSessionEnded?: () => void;
};

export function createApi({ fetch = globalThis.fetch.bind(globalThis), onSessionEnded }: ApiOptions = {}) {
  async function call(method: string, path: string, accept: string, body?: object): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers:
          body === undefined ? { Accept: accept } : { Accept: accept, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError({
        status: 0,
        code: 'network.unreachable',
        message: 'Could not reach Claw Cloud. Check your connection and try again.',
      });
    }
    if (response.ok) return response;
    const error = errorFromResponse(response, await readJson(response));
    if (error.code === 'auth.required') onSessionEnded?.();
    throw error;
  }

  async function request<T>(method: string, path: string, body?: object): Promise<T> {
    const response = await call(method, path, 'application/json', body);
    // An empty answer (204, or a 202 without a body) reads as undefined.
    if (response.status === 204) return undefined as T;
    return (await readJson(response)) as T;
  }

  const get = <T>(path: string) => request<T>('GET', path);
  // The server's CSRF rule wants a JSON content type on every state-changing request, so there is always a body.
  const send = <T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body: object = {}) =>
    request<T>(method, path, body);

  return {
    signup: async (credentials: Credentials) =>
      (await send<{ user: User }>('POST', '/api/auth/signup', credentials)).user,
    login: async (credentials: Credentials) =>
      (await send<{ user: User }>('POST', '/api/auth/login', credentials)).user,
    logout: () => send<void>('POST', '/api/auth/logout'),
    logoutAll: () => send<void>('POST', '/api/auth/logout-all'),
    me: async () => (await get<{ user: User }>('/api/me')).user,
    changePassword: (passwords: { currentPassword: string; newPassword: string }) =>
      send<void>('POST', '/api/me/password', passwords),
    deleteAccount: (password: string) => send<void>('DELETE', '/api/me', { password }),
    audit: ({ limit, cursor }: { limit: number; cursor?: string | null }) => {
      const query = new URLSearchParams({ limit: String(limit) });
      if (cursor) query.set('cursor', cursor);
      return get<AuditPage>(`/api/me/audit?${query}`);
    },
    transparency: () => get<TransparencyReport>('/api/transparency'),
    /** Step-up: proves the password again, for changes that need a recent proof. */
    reauthenticate: (password: string) => send<void>('POST', '/api/auth/reauthenticate', { password }),

    credentials: async () => (await get<{ credentials: Credential[] }>('/api/credentials')).credentials,
    credentialSetup: () => get<CredentialSetup>('/api/credentials/setup'),
    addCredential: (credential: NewCredential) =>
      send<VerificationResult>('POST', '/api/credentials', credential),
    verifyCredential: (id: string) =>
      send<VerificationResult>('POST', `/api/credentials/${encodeURIComponent(id)}/verify`),
    deleteCredential: (id: string) => send<void>('DELETE', `/api/credentials/${encodeURIComponent(id)}`),

    instances: async () => (await get<{ instances: Instance[] }>('/api/instances')).instances,
    instance: async (id: string) =>
      (await get<{ instance: Instance }>(`/api/instances/${encodeURIComponent(id)}`)).instance,
    instanceHealth: async (id: string) =>
      (await get<{ health: InstanceHealth }>(`/api/instances/${encodeURIComponent(id)}/health`)).health,
    adoptInstance: async (adoption: Adoption) =>
      (await send<{ instance: Instance }>('POST', '/api/instances/adopt', adoption)).instance,
    removeInstance: (id: string) => send<void>('DELETE', `/api/instances/${encodeURIComponent(id)}`),
    deployOptions: (credentialId: string) =>
      get<DeployOptions>(`/api/credentials/${encodeURIComponent(credentialId)}/options`),
    /** The exact cloud-init document a new server on this provider gets (secrets shown as placeholders). */
    bootstrapPreview: async (provider: string) =>
      (await call('GET', `/api/bootstrap/preview?${new URLSearchParams({ provider })}`, 'text/yaml')).text(),
    deploy: async (deployment: Deployment) =>
      (await send<{ instance: { id: string; status: string } }>('POST', '/api/instances', deployment))
        .instance,
    instanceAction: (id: string, action: InstanceAction) =>
      send<void>('POST', `/api/instances/${encodeURIComponent(id)}/actions`, { action }),
    /** Server-sent `status` events (a `Progress` each) until the instance settles; for an EventSource. */
    progressUrl: (id: string) => `/api/instances/${encodeURIComponent(id)}/progress`,
    supportState: (id: string) => get<SupportState>(`/api/instances/${encodeURIComponent(id)}/support`),
    grantSupport: async (id: string, grant: { durationSeconds: number; admin: boolean }) =>
      (await send<{ grant: SupportGrant }>('POST', `/api/instances/${encodeURIComponent(id)}/support`, grant))
        .grant,
    revokeSupport: async (id: string, grantId: string) =>
      (
        await send<{ grant: SupportGrant }>(
          'DELETE',
          `/api/instances/${encodeURIComponent(id)}/support/${encodeURIComponent(grantId)}`,
        )
      ).grant,
    /** Fetched live from the instance through the control plane, which does not keep it. */
    /** Entries from `from` on (at most `limit`), and whether the whole chain verifies. */
    supportLog: (id: string, from: number, limit: number) =>
      get<SupportLog>(
        `/api/instances/${encodeURIComponent(id)}/support/log?${new URLSearchParams({ from: String(from), limit: String(limit) })}`,
      ),
    /** A single-use ticket (≤ 60 s) for opening the chat WebSocket of one instance. */
    chatTicket: (id: string) =>
      send<{ ticket: string; expiresAt: string }>('POST', `/api/instances/${encodeURIComponent(id)}/tickets`),
  };
}

export type Api = ReturnType<typeof createApi>;

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function errorFromResponse(response: Response, payload: unknown): ApiError {
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  const error = isRecord(payload) && isRecord(payload.error) ? payload.error : undefined;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError({
      status: response.status,
      code: error.code,
      message: error.message,
      field: typeof error.field === 'string' ? error.field : undefined,
      requestId: typeof error.requestId === 'string' ? error.requestId : undefined,
      retryAfterSeconds,
    });
  }
  // A proxy or crash page rather than our JSON: say so plainly, without guessing at a cause.
  return new ApiError({
    status: response.status,
    code: `http.${response.status}`,
    message: `The server answered with an unexpected error (HTTP ${response.status}). Please try again.`,
    retryAfterSeconds,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
