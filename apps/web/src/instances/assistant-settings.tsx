// The assistant's model provider, default model and API key, set on the instance itself over the pipe
// (docs/model-keys.md). The key is read from the form once, sent inside one gateway frame, and never kept in
// this page's state, never sent to our API and never shown again.
import { useCallback, useEffect, useState } from 'react';
import {
  MODEL_PROVIDERS,
  MODEL_SETTINGS_SCOPES,
  ModelSettingsError,
  readModelStatus,
  setModelProvider,
  testModelConnection,
  type ConnectionTest,
  type GatewayClient,
  type ModelProvider,
  type ModelStatus,
  type ProbeStatus,
} from '@claw/openclaw';
import { ApiError, asApiError } from '../api.ts';
import { ConnectionBanner } from '../chat/connection-banner.tsx';
import { useGateway } from '../chat/use-gateway.ts';
import {
  FormError,
  SubmitButton,
  TextField,
  fieldMessage,
  fieldProblem,
  formText,
  useSubmit,
} from '../components/form.tsx';

const providerNames: Record<ModelProvider, string> = {
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  openrouter: 'OpenRouter',
  google: 'Google',
  custom: 'OpenAI-compatible (your own endpoint)',
};

const probeMessages: Record<ProbeStatus, string> = {
  ok: 'The connection works.',
  auth: 'The provider refused the API key.',
  rate_limit: 'The provider is rate-limiting this key. Try again later.',
  billing: 'The provider reports a billing problem on this account.',
  timeout: 'The provider did not answer in time.',
  format: 'The provider rejected the request format. Check the model and base URL.',
  no_model: 'No model is set up yet.',
  unknown: 'The test failed.',
};

function providerName(provider: string | undefined): string {
  return provider && provider in providerNames
    ? providerNames[provider as ModelProvider]
    : (provider ?? 'None');
}

export function AssistantSettings({
  instanceId,
  onUnreachable,
}: {
  instanceId: string;
  onUnreachable: () => void;
}) {
  // Changing model settings needs operator.admin; chat connections ask for read and write only.
  const { state, reconnect } = useGateway(instanceId, { scopes: MODEL_SETTINGS_SCOPES, onUnreachable });
  return (
    <div className="assistant-settings">
      <p className="notice">
        Your API key goes from this page straight to your server, inside the encrypted connection to your
        assistant. Claw Cloud passes that connection along without reading, storing or logging it, and the key
        is never shown again: not here, not anywhere.
      </p>
      <ConnectionBanner state={state} reconnect={reconnect} />
      {state.phase === 'open' && <SettingsForms client={state.client} reconnect={reconnect} />}
    </div>
  );
}

function SettingsForms({ client, reconnect }: { client: GatewayClient; reconnect: () => void }) {
  const [status, setStatus] = useState<ModelStatus | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setStatus(await readModelStatus(client));
      setStatusError(null);
    } catch (error) {
      setStatusError(error instanceof Error ? error.message : 'unknown error');
    }
  }, [client]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <>
      <section className="subsection" aria-labelledby="model-status-title">
        <h3 id="model-status-title">Current model</h3>
        {statusError && (
          <p className="notice notice-warning" role="alert">
            Could not read the settings from your server: {statusError}
          </p>
        )}
        {!status && !statusError && (
          <p className="loading" role="status">
            Reading the settings from your server…
          </p>
        )}
        {status && <StatusFacts status={status} />}
        {status?.state === 'configured' && status.provider && (
          <ConnectionTester client={client} provider={status.provider} />
        )}
      </section>
      <section className="subsection" aria-labelledby="model-form-title">
        <h3 id="model-form-title">
          {status?.state === 'configured' ? 'Change the model or replace the key' : 'Set up the model'}
        </h3>
        <ModelForm client={client} status={status} onSaved={refresh} reconnect={reconnect} />
      </section>
    </>
  );
}

function StatusFacts({ status }: { status: ModelStatus }) {
  const model = status.model?.slice((status.provider?.length ?? -1) + 1);
  return (
    <dl className="facts" aria-label="Current model">
      <div>
        <dt>Provider</dt>
        <dd>{status.state === 'no-model' ? 'Not set' : providerName(status.provider)}</dd>
      </div>
      <div>
        <dt>Default model</dt>
        <dd>{model ? <code>{model}</code> : 'Not set'}</dd>
      </div>
      <div>
        <dt>API key</dt>
        <dd>
          {status.state === 'configured' ? (
            <span className="badge badge-ok">Key saved on your server</span>
          ) : (
            <span className="badge badge-failed">No key</span>
          )}
        </dd>
      </div>
    </dl>
  );
}

function ConnectionTester({ client, provider }: { client: GatewayClient; provider: string }) {
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<ConnectionTest | { failed: string } | null>(null);

  async function test() {
    setTesting(true);
    setResult(null);
    try {
      setResult(await testModelConnection(client, provider));
    } catch (error) {
      setResult({ failed: error instanceof Error ? error.message : 'unknown error' });
    } finally {
      setTesting(false);
    }
  }

  return (
    <div className="tester">
      <button
        type="button"
        className="button secondary"
        onClick={test}
        disabled={testing}
        aria-busy={testing}
      >
        {testing ? 'Testing from your server…' : 'Test connection'}
      </button>
      <div role="status" aria-live="polite">
        {result && 'failed' in result && (
          <p className="test-result test-failed">The test could not run: {result.failed}</p>
        )}
        {result && 'status' in result && (
          <p className={result.ok ? 'test-result test-ok' : 'test-result test-failed'}>
            {probeMessages[result.status]}
            {result.ok && result.latencyMs !== undefined && ` It answered in ${result.latencyMs} ms.`}
            {!result.ok && result.error && ` ${result.error}`}
          </p>
        )}
      </div>
    </div>
  );
}

/** The library's errors, in the shape the form renders (beside the field it names, when it names one). */
function asFormError(error: unknown, reconnect: () => void): ApiError {
  if (!(error instanceof ModelSettingsError)) return asApiError(error);
  switch (error.code) {
    case 'invalid-settings': {
      const field = /base URL/i.test(error.message)
        ? 'baseUrl'
        : /key/i.test(error.message)
          ? 'apiKey'
          : /model/i.test(error.message)
            ? 'model'
            : undefined;
      return new ApiError({
        status: 400,
        code: 'model.invalid',
        field,
        message: error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.',
      });
    }
    case 'forbidden':
      reconnect();
      return new ApiError({
        status: 403,
        code: 'model.forbidden',
        message:
          'This connection may not change settings; it is reconnecting with the right permissions. Try again in a moment.',
      });
    case 'unavailable':
      return new ApiError({
        status: 503,
        code: 'model.unavailable',
        message: 'Your assistant did not answer. It may be starting up; try again in a moment.',
      });
    case 'rejected':
      return new ApiError({
        status: 400,
        code: 'model.rejected',
        message: `Your assistant refused the settings: ${error.message}`,
      });
  }
}

function ModelForm({
  client,
  status,
  onSaved,
  reconnect,
}: {
  client: GatewayClient;
  status: ModelStatus | null;
  onSaved: () => Promise<void>;
  reconnect: () => void;
}) {
  const current =
    status?.provider && (MODEL_PROVIDERS as readonly string[]).includes(status.provider)
      ? (status.provider as ModelProvider)
      : null;
  const [provider, setProvider] = useState<ModelProvider>(current ?? 'anthropic');
  const currentModel = current === provider ? status?.model?.slice(provider.length + 1) : undefined;
  const [touched, setTouched] = useState(false);
  const [saved, setSaved] = useState<{ model: string; warning?: string } | null>(null);
  if (!touched && current && current !== provider) setProvider(current);

  const { submitting, error, onSubmit } = useSubmit(async (data, form) => {
    setSaved(null);
    const model = formText(data, 'model').trim();
    const apiKey = formText(data, 'apiKey').trim();
    const baseUrl = formText(data, 'baseUrl').trim();
    if (provider === 'custom' && !/^https?:\/\/\S+$/.test(baseUrl))
      throw fieldProblem(
        'baseUrl',
        'Enter the endpoint’s http(s) base URL, e.g. https://llm.example.com/v1.',
      );
    if (!/^\S+$/.test(model)) throw fieldProblem('model', 'Enter one model id, without spaces.');
    if (!/^\S+$/.test(apiKey)) throw fieldProblem('apiKey', 'Paste the API key: one token, without spaces.');
    let result: { model: string; warning?: string };
    try {
      result = await setModelProvider(client, {
        provider,
        model,
        apiKey,
        ...(provider === 'custom' ? { baseUrl } : {}),
      });
    } catch (caught) {
      throw asFormError(caught, reconnect);
    }
    // The key leaves the page: the field is emptied and nothing else holds it.
    const keyInput = form.elements.namedItem('apiKey');
    if (keyInput instanceof HTMLInputElement) keyInput.value = '';
    setSaved(result);
    await onSaved();
  });

  const modelHint =
    provider === 'custom'
      ? 'The model id your endpoint expects.'
      : provider === 'openrouter'
        ? 'As OpenRouter names it, e.g. vendor/model.'
        : `The model id as ${providerNames[provider]} names it.`;
  return (
    <form className="form" onSubmit={onSubmit}>
      <FormError error={error} fields={['provider', 'model', 'apiKey', 'baseUrl']} />
      <div className="field">
        <label htmlFor="model-provider">Provider</label>
        <select
          id="model-provider"
          name="provider"
          value={provider}
          onChange={(event) => {
            setTouched(true);
            setProvider(event.target.value as ModelProvider);
          }}
        >
          {MODEL_PROVIDERS.map((option) => (
            <option key={option} value={option}>
              {providerNames[option]}
            </option>
          ))}
        </select>
        <p className="field-error" aria-live="polite">
          {fieldMessage(error, 'provider')}
        </p>
      </div>
      {provider === 'custom' && (
        <TextField
          name="baseUrl"
          label="Base URL"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          required
          placeholder="https://llm.example.com/v1"
          hint="An OpenAI-compatible Chat Completions endpoint, as your server reaches it. No credentials in the URL."
          error={error}
        />
      )}
      <TextField
        // Starts from the current model; remounted when the instance reports another one.
        key={`model-${currentModel ?? ''}`}
        defaultValue={currentModel ?? ''}
        name="model"
        label="Default model"
        autoComplete="off"
        spellCheck={false}
        required
        hint={modelHint}
        error={error}
      />
      <TextField
        name="apiKey"
        label="API key"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        hint="Sent straight to your server; never shown again. To replace a key, enter the new one."
        error={error}
      />
      <p className="form-success" role="status">
        {saved && `Saved on your server: ${saved.model}.`}
        {saved?.warning && ` ${saved.warning}`}
      </p>
      <SubmitButton submitting={submitting} busyLabel="Saving to your server…">
        Save to my server
      </SubmitButton>
    </form>
  );
}
