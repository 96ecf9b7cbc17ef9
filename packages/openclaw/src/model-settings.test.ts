// The request sequence and param shapes of model-settings.ts against a scripted gateway; the real gateway is
// exercised in model-settings.peer.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from './gateway-client.ts';
import {
  ModelSettingsError,
  readModelStatus,
  setModelProvider,
  testModelConnection,
} from './model-settings.ts';

type Call = { method: string; params: Record<string, unknown> };

/** A gateway that answers each method from `replies` (an Error is thrown) and records what it was sent. */
function scriptedGateway(replies: Record<string, unknown>) {
  const calls: Call[] = [];
  return {
    calls,
    request: async <T>(method: string, params: unknown): Promise<T> => {
      calls.push({ method, params: params as Record<string, unknown> });
      const reply = replies[method];
      if (reply instanceof Error) throw reply;
      return reply as T;
    },
  };
}

const saved = { 'config.get': { hash: 'h1' }, 'config.patch': { ok: true }, 'models.authLogout': {} };

describe('setModelProvider', () => {
  test('custom: endpoint and model through config.patch, then the key through models.authSetApiKey', async () => {
    const gateway = scriptedGateway({
      ...saved,
      'models.authSetApiKey': { provider: 'custom', profileId: 'c' },
    });
    const result = await setModelProvider(gateway, {
      provider: 'custom',
      model: 'echo-1',
      apiKey: 'sk-secret',
      baseUrl: 'https://llm.example.com/v1',
    });
    assert.deepEqual(result, { model: 'custom/echo-1' });
    assert.deepEqual(
      gateway.calls.map((call) => call.method),
      ['config.get', 'config.patch', 'models.authLogout', 'models.authSetApiKey'],
    );
    const patch = gateway.calls[1]?.params ?? {};
    assert.equal(patch.baseHash, 'h1');
    assert.deepEqual(patch.replacePaths, ['models.providers.custom.models']);
    assert.deepEqual(JSON.parse(String(patch.raw)), {
      agents: { defaults: { model: { primary: 'custom/echo-1' } } },
      models: {
        providers: {
          custom: {
            baseUrl: 'https://llm.example.com/v1',
            api: 'openai-completions',
            models: [{ id: 'echo-1', name: 'echo-1' }],
          },
        },
      },
    });
    assert.deepEqual(gateway.calls[2]?.params, { provider: 'custom', credentialType: 'api_key' });
    assert.deepEqual(gateway.calls[3]?.params, { provider: 'custom', apiKey: 'sk-secret' });
    // The key travels in exactly one request.
    assert.deepEqual(
      gateway.calls
        .filter((call) => JSON.stringify(call.params).includes('sk-secret'))
        .map((call) => call.method),
      ['models.authSetApiKey'],
    );
  });

  test('a bundled provider only selects the model, and a save warning is passed on', async () => {
    const warning = 'API key saved, but the Gateway has not confirmed applying the provider settings.';
    const gateway = scriptedGateway({ ...saved, 'models.authSetApiKey': { provider: 'anthropic', warning } });
    const result = await setModelProvider(gateway, {
      provider: 'anthropic',
      model: 'claude-opus-5',
      apiKey: 'sk-ant-x',
      baseUrl: 'ignored',
    });
    assert.deepEqual(result, { model: 'anthropic/claude-opus-5', warning });
    const patch = gateway.calls[1]?.params ?? {};
    assert.equal(patch.replacePaths, undefined);
    assert.deepEqual(JSON.parse(String(patch.raw)), {
      agents: { defaults: { model: { primary: 'anthropic/claude-opus-5' } } },
    });
  });

  const invalid: [string, Parameters<typeof setModelProvider>[1]][] = [
    ['an unknown provider', { provider: 'mistral' as never, model: 'm', apiKey: 'k' }],
    ['a blank key', { provider: 'openai', model: 'gpt-5', apiKey: ' ' }],
    ['a key with spaces', { provider: 'openai', model: 'gpt-5', apiKey: 'sk-a sk-b' }],
    ['a model with spaces', { provider: 'openai', model: 'gpt 5', apiKey: 'sk-a' }],
    ['custom without a base URL', { provider: 'custom', model: 'm', apiKey: 'k' }],
    ['custom with a non-http URL', { provider: 'custom', model: 'm', apiKey: 'k', baseUrl: 'file:///etc' }],
    [
      'custom with credentials in the URL',
      { provider: 'custom', model: 'm', apiKey: 'k', baseUrl: 'https://u:p@h/v1' },
    ],
  ];
  for (const [name, settings] of invalid) {
    test(`refuses ${name} before sending anything`, async () => {
      const gateway = scriptedGateway({});
      await assert.rejects(setModelProvider(gateway, settings), {
        name: 'ModelSettingsError',
        code: 'invalid-settings',
      });
      assert.equal(gateway.calls.length, 0);
    });
  }

  test('gateway errors become typed errors naming the method', async () => {
    const cases: [GatewayError, string][] = [
      [new GatewayError('FORBIDDEN', 'missing scope: operator.admin', 'MISSING_SCOPE'), 'forbidden'],
      [new GatewayError('UNAVAILABLE', 'That does not look like an OpenAI API key.'), 'rejected'],
      [new GatewayError('CLOSED', 'connection closed (1012)'), 'unavailable'],
      [new GatewayError('INVALID_REQUEST', 'config changed since last load'), 'rejected'],
    ];
    for (const [error, code] of cases) {
      const gateway = scriptedGateway({ ...saved, 'models.authSetApiKey': error });
      const settings = { provider: 'openai', model: 'gpt-5', apiKey: 'sk-abcdefgh1' } as const;
      const failure = await setModelProvider(gateway, settings).catch((err: unknown) => err);
      assert.ok(failure instanceof ModelSettingsError);
      assert.equal(failure.code, code);
      assert.equal(failure.method, 'models.authSetApiKey');
      assert.equal(failure.cause, error);
    }
  });
});

describe('readModelStatus', () => {
  const configWith = (model: unknown) => ({ config: { agents: { defaults: { model } } } });

  test('no default model', async () => {
    const gateway = scriptedGateway({ 'config.get': { config: {} } });
    assert.deepEqual(await readModelStatus(gateway), { state: 'no-model' });
    assert.deepEqual(
      gateway.calls.map((call) => call.method),
      ['config.get'],
    );
  });

  test('a default model whose provider has no usable credential', async () => {
    const none = scriptedGateway({
      'config.get': configWith('custom/echo-1'),
      'models.authStatus': { providers: [] },
    });
    assert.deepEqual(await readModelStatus(none), {
      state: 'no-key',
      model: 'custom/echo-1',
      provider: 'custom',
    });
    const expired = scriptedGateway({
      'config.get': configWith({ primary: 'openai/gpt-5' }),
      'models.authStatus': { providers: [{ provider: 'openai', status: 'expired', profiles: [] }] },
    });
    assert.deepEqual(await readModelStatus(expired), {
      state: 'no-key',
      model: 'openai/gpt-5',
      provider: 'openai',
      credentialStatus: 'expired',
    });
  });

  test('configured: a default model and a saved key', async () => {
    const gateway = scriptedGateway({
      'config.get': configWith({ primary: 'custom/echo-1' }),
      'models.authStatus': { providers: [{ provider: 'custom', authProvider: 'custom', status: 'static' }] },
    });
    assert.deepEqual(await readModelStatus(gateway), {
      state: 'configured',
      model: 'custom/echo-1',
      provider: 'custom',
      credentialStatus: 'static',
    });
  });

  test('auth status still being prepared is an unavailable error', async () => {
    const gateway = scriptedGateway({
      'config.get': configWith('custom/echo-1'),
      'models.authStatus': {
        providers: [],
        unavailable: { code: 'X', message: 'Model authentication status is unavailable.' },
      },
    });
    await assert.rejects(readModelStatus(gateway), { code: 'unavailable', method: 'models.authStatus' });
  });
});

describe('testModelConnection', () => {
  test('maps the probe result', async () => {
    const gateway = scriptedGateway({
      'models.probe': {
        provider: 'custom',
        status: 'auth',
        latencyMs: 420,
        error: 'Authentication failed.',
        results: [],
      },
    });
    assert.deepEqual(await testModelConnection(gateway, 'custom', { timeoutMs: 10_000 }), {
      ok: false,
      status: 'auth',
      error: 'Authentication failed.',
      latencyMs: 420,
    });
    assert.deepEqual(gateway.calls[0]?.params, { provider: 'custom', timeoutMs: 10_000 });
  });
});
