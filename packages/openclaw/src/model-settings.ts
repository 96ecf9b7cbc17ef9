// An instance's model provider, default model and API key, set through the chat pipe with the gateway's own
// methods (docs/model-keys.md). Browser-safe: it only sends requests over a GatewayClient, so the key goes from
// the browser's memory to the instance inside one `models.authSetApiKey` frame and nowhere else.
//
// Param shapes are those of openclaw@2026.9.6 (file names in its dist/ carry a build hash, shown as *):
//   config.get, config.patch            ConfigGetParamsSchema, ConfigPatchParamsSchema   dist/sessions-*.mjs
//   models.authStatus, .authLogout,     ModelsAuth{Status,Logout,SetApiKey}ParamsSchema, dist/agents-models-skills-*.mjs
//   .authSetApiKey, models.probe        ModelsProbeParamsSchema, ModelsProbeResultSchema
import { GatewayError, type GatewayClient, type OperatorScope } from './gateway-client.ts';

/**
 * What the dashboard offers. All but `custom` are OpenClaw's bundled provider ids (docs/providers/<id>.md);
 * `custom` is any OpenAI-compatible Chat Completions endpoint at `baseUrl`, the "Custom Provider" of
 * docs/start/wizard.md.
 */
export const MODEL_PROVIDERS = ['anthropic', 'openai', 'openrouter', 'google', 'custom'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/**
 * models.authSetApiKey, models.authLogout, models.probe and config.patch need `operator.admin`; config.get and
 * models.authStatus only `operator.read` (dist/method-scopes-*.mjs). Pass these to createGatewayClient.
 */
export const MODEL_SETTINGS_SCOPES: readonly OperatorScope[] = [
  'operator.read',
  'operator.write',
  'operator.admin',
];

export type ModelSettings = {
  provider: ModelProvider;
  /** The model id at the provider, e.g. "claude-opus-5"; OpenClaw refers to it as "<provider>/<model>". */
  model: string;
  apiKey: string;
  /** Required for `custom`, ignored otherwise: the endpoint's base URL, e.g. "https://llm.example.com/v1". */
  baseUrl?: string;
};

export type ModelStatus = {
  /**
   * "no-model": no default model yet (what the handshake reports as `sessionDefaults.modelConfigured: false`);
   * "no-key": a default model whose provider has no credential; "configured": both. Whether the key works is
   * what testModelConnection tells.
   */
  state: 'no-model' | 'no-key' | 'configured';
  /** The default model as "<provider>/<model>". */
  model?: string;
  provider?: string;
  /** OpenClaw's credential status for that provider ("static" for an API key); never the key itself. */
  credentialStatus?: string;
};

/** The probe buckets of docs/auth-credential-semantics.md ("Stable probe reason codes"). */
export type ProbeStatus =
  'ok' | 'auth' | 'rate_limit' | 'billing' | 'timeout' | 'format' | 'unknown' | 'no_model';

export type ConnectionTest = {
  ok: boolean;
  status: ProbeStatus;
  /** OpenClaw's secret-free explanation when not ok, e.g. "Authentication failed.". */
  error?: string;
  latencyMs?: number;
};

export type ModelSettingsErrorCode =
  /** Refused here, before anything was sent. */
  | 'invalid-settings'
  /** The connection lacks `operator.admin` (see MODEL_SETTINGS_SCOPES). */
  | 'forbidden'
  /** The gateway answered with an error; its message says why (e.g. "That does not look like an OpenAI API key."). */
  | 'rejected'
  /** Not now: the connection closed or timed out, or the gateway is still starting up. Try again. */
  | 'unavailable';

export class ModelSettingsError extends Error {
  readonly code: ModelSettingsErrorCode;
  /** The gateway method that failed, if one did. */
  readonly method: string | undefined;
  constructor(code: ModelSettingsErrorCode, message: string, method?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelSettingsError';
    this.code = code;
    this.method = method;
  }
}

type Requester = Pick<GatewayClient, 'request'>;

// Gateway errors carry the codes of dist/error-codes-*.mjs. Its model-auth handlers report every failure,
// validation included, as UNAVAILABLE with the reason as message (dist/response-*.mjs), so only FORBIDDEN is
// told apart. TIMEOUT and CLOSED are the client's own: nothing was answered.
function errorCodeOf(error: GatewayError): ModelSettingsErrorCode {
  if (error.code === 'FORBIDDEN') return 'forbidden';
  if (error.code === 'TIMEOUT' || error.code === 'CLOSED') return 'unavailable';
  return 'rejected';
}

async function call<T>(client: Requester, method: string, params: object): Promise<T> {
  try {
    return await client.request<T>(method, params);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    throw new ModelSettingsError(errorCodeOf(error), `${method}: ${error.message}`, method, { cause: error });
  }
}

function invalid(message: string): never {
  throw new ModelSettingsError('invalid-settings', message);
}

function checkSettings(settings: ModelSettings): void {
  if (!MODEL_PROVIDERS.includes(settings.provider))
    invalid(`unknown provider "${String(settings.provider)}"`);
  // The schema wants a non-blank string; whitespace inside a model id or key is a paste error.
  if (!/^\S+$/.test(settings.model)) invalid('the model must be one id without spaces');
  if (!/^\S+$/.test(settings.apiKey)) invalid('the API key must be one token without spaces');
  if (settings.provider !== 'custom') return;
  const url = parseUrl(settings.baseUrl);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    invalid('a custom provider needs an http(s) base URL');
  }
  // The base URL is stored in plain openclaw.json: credentials belong in the key field.
  if (url.username || url.password) invalid('put the credential in the API key, not in the base URL');
}

function parseUrl(value: string | undefined): URL | undefined {
  try {
    return new URL(value ?? '');
  } catch {
    return undefined;
  }
}

/** The config.patch document: the default model, and for `custom` the endpoint (never the key). */
function configPatch(settings: ModelSettings): { raw: string; replacePaths?: string[] } {
  const defaults = { agents: { defaults: { model: { primary: `${settings.provider}/${settings.model}` } } } };
  if (settings.provider !== 'custom') return { raw: JSON.stringify(defaults) };
  // An OpenAI-compatible provider entry as in docs/start/wizard-cli-reference.md; the gateway fills in the
  // model's defaults (context window, costs). Arrays of objects are merged by id unless listed in
  // replacePaths (docs/gateway/protocol/rpc-talk-config-and-agents.md), so a new model replaces the old one.
  const provider = {
    baseUrl: settings.baseUrl,
    api: 'openai-completions',
    models: [{ id: settings.model, name: settings.model }],
  };
  return {
    raw: JSON.stringify({ ...defaults, models: { providers: { custom: provider } } }),
    replacePaths: ['models.providers.custom.models'],
  };
}

/**
 * Sets the provider, default model and API key. The model and endpoint go into openclaw.json with config.patch;
 * the key goes to models.authSetApiKey, which the Control UI's Models page also uses: OpenClaw stores it as an
 * auth profile ("<provider>:manual") in its state database and openclaw.json only names that profile.
 */
export async function setModelProvider(
  client: Requester,
  settings: ModelSettings,
): Promise<{ model: string; warning?: string }> {
  checkSettings(settings);
  const { provider, apiKey } = settings;
  // config.patch refuses to write without the hash of the config it was based on (dist/config-*.mjs).
  const { hash } = await call<{ hash?: string }>(client, 'config.get', {});
  await call(client, 'config.patch', {
    ...configPatch(settings),
    ...(hash ? { baseHash: hash } : {}),
    note: 'Claw Cloud: model settings',
  });
  // authSetApiKey keeps a replaced key's profile and with it the failure record: after a wrong key, the right
  // one would sit out the auth cooldown (30 s and more, dist/usage-failure-state-*.mjs). Removing the saved key
  // first drops that record (a no-op when there is none).
  await call(client, 'models.authLogout', { provider, credentialType: 'api_key' });
  const saved = await call<{ warning?: string }>(client, 'models.authSetApiKey', { provider, apiKey });
  return { model: `${provider}/${settings.model}`, ...(saved.warning ? { warning: saved.warning } : {}) };
}

type ModelConfig = string | { primary?: string } | undefined;
type AuthStatus = {
  providers?: { provider: string; authProvider?: string; status: string }[];
  unavailable?: { message: string };
};

function primaryOf(model: ModelConfig): string | undefined {
  return (typeof model === 'string' ? model : model?.primary) || undefined;
}

// "missing" and "expired" credentials cannot answer (models-auth-status: aggregateProfileStatus).
const UNUSABLE_CREDENTIALS = new Set(['missing', 'expired']);

/**
 * What the settings page and the chat need to know: is a model set up? Reads the default model from
 * config.get (secrets come back redacted, docs/gateway/embedding.md) and the provider's credential from
 * models.authStatus. Works with read-only scopes.
 */
export async function readModelStatus(client: Requester): Promise<ModelStatus> {
  const { config } = await call<{ config?: { agents?: { defaults?: { model?: ModelConfig } } } }>(
    client,
    'config.get',
    {},
  );
  const model = primaryOf(config?.agents?.defaults?.model);
  if (!model) return { state: 'no-model' };
  const provider = model.split('/')[0];
  const auth = await call<AuthStatus>(client, 'models.authStatus', {});
  if (auth.unavailable)
    throw new ModelSettingsError('unavailable', auth.unavailable.message, 'models.authStatus');
  const credential = auth.providers?.find(
    (entry) => entry.provider === provider || entry.authProvider === provider,
  );
  if (!credential || UNUSABLE_CREDENTIALS.has(credential.status)) {
    return {
      state: 'no-key',
      model,
      provider,
      ...(credential ? { credentialStatus: credential.status } : {}),
    };
  }
  return { state: 'configured', model, provider, credentialStatus: credential.status };
}

/**
 * "Test connection": the instance itself sends a tiny prompt to the provider with the saved key (models.probe,
 * 5-60 s, default 20 s) and reports a status bucket and a secret-free message.
 */
export async function testModelConnection(
  client: Requester,
  provider: string,
  options: { timeoutMs?: number } = {},
): Promise<ConnectionTest> {
  const result = await call<{ status: ProbeStatus; error?: string; latencyMs?: number }>(
    client,
    'models.probe',
    {
      provider,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
  );
  return {
    ok: result.status === 'ok',
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
    ...(result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {}),
  };
}
